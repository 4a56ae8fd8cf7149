// @ts-check
/**
 * POST to a harness Worker on a fresh connection and parse its JSON answer.
 * A fresh connection each time: workerd may close a kept-alive connection
 * after a long request, and a request sent on it would be lost.
 */
import http from "node:http";

/**
 * @template [T=unknown]
 * @param {string} url
 * @returns {Promise<T>}
 */
export function postJson(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        if (res.statusCode !== 200)
          reject(new Error(`${url}: ${res.statusCode} ${text.slice(0, 500)}`));
        else resolve(/** @type {T} */ (JSON.parse(text)));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * Operator notifications: a Slack-compatible webhook (`{ "text": ... }`) on
 * promote, rollback, exclusion, freeze, stuck rollouts, sample-ratio
 * mismatches and manual config edits. Optional; a failing webhook is logged
 * and never fails a run.
 */

export interface Notification {
  routeId: string;
  action: string;
  summary: string;
  reasons: string[];
}

export type Notifier = (n: Notification) => Promise<void>;

/** Slack-compatible message text. Pure. */
export function notificationText(n: Notification): string {
  const lines = n.reasons.slice(0, 8).map((r) => `• ${r}`);
  return [`*llm-canary* route \`${n.routeId}\`: *${n.action}*: ${n.summary}`, ...lines].join("\n");
}

export function webhookNotifier(url: string | undefined, timeoutMs = 5_000): Notifier {
  return async (n) => {
    console.log(JSON.stringify({ msg: "notification", ...n }));
    if (!url) return;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          text: notificationText(n),
          routeId: n.routeId,
          action: n.action,
          reasons: n.reasons,
        }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
      if (!res.ok)
        console.error(JSON.stringify({ msg: "notification webhook failed", status: res.status }));
      await res.body?.cancel();
    } catch (e) {
      console.error(JSON.stringify({ msg: "notification webhook failed", error: String(e) }));
    }
  };
}

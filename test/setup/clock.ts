/** Every test starts on the running test clock (`fixtures/clock.ts`), however the last one left it. */
import { afterEach } from "vitest";
import { resetClock } from "../fixtures/clock";

resetClock();
afterEach(() => resetClock());

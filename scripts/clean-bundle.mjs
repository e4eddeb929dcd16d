// Removes the previous bundle's lazily loaded chunks before esbuild writes new ones (their names carry a
// content hash, so old ones would otherwise pile up in static/chunks/ and ship with every site).
import { rmSync } from "node:fs";

rmSync(new URL("../static/chunks", import.meta.url), { recursive: true, force: true });

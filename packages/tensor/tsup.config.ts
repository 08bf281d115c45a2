import { packageConfig } from "../../scripts/tsup-package.js";

export default packageConfig({ index: "src/index.ts", "testing/index": "src/testing/index.ts" });

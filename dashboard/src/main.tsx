import { render } from "preact";
import { App } from "./app.tsx";
import { startRouting } from "./router.ts";
import "./styles.css";

startRouting();
render(<App />, document.getElementById("app")!);

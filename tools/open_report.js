// Opens a built Allure report the way a browser would (jsdom, its scripts run) and prints what its
// overview page shows, so a test can check that the page really renders its data. With a route (the
// part after #, e.g. "/<result id>"), prints that page once what it shows stops changing.
// Usage: node tools/open_report.js reports/html/index.html [seconds to wait, default 30] [route]
"use strict";
const fs = require("fs");
const { JSDOM, VirtualConsole } = require("jsdom");

const [file, wait = "30", route = ""] = process.argv.slice(2);
const errors = [];
const console_ = new VirtualConsole();
console_.on("jsdomError", (e) => errors.push(String(e.message || e).split("\n")[0]));

const dom = new JSDOM(fs.readFileSync(file, "utf8"), {
  url: "http://localhost/report/index.html" + (route ? "#" + route : ""),
  runScripts: "dangerously",
  resources: "usable",
  pretendToBeVisual: true,
  virtualConsole: console_,
  beforeParse(window) {
    // What a browser has and jsdom lacks: the report reads its packed data with these.
    Object.assign(window, { DecompressionStream, Blob, Response, fetch: (url) => fetch(url) });
    window.matchMedia = () => ({ matches: false, addListener() {}, removeListener() {},
      addEventListener() {}, removeEventListener() {} });
  },
});

const started = Date.now();
let before = null;
let unchanged = 0;
const timer = setInterval(() => {
  const app = dom.window.document.getElementById("app");
  const text = app ? app.textContent : "";
  const late = Date.now() - started > Number(wait) * 1000;
  unchanged = text && text === before ? unchanged + 1 : 0;
  before = text;
  const settled = route ? unchanged >= 4 : text;
  if (!settled && !late) return;
  clearInterval(timer);
  process.stdout.write(JSON.stringify({ rendered: text, errors }) + "\n");
  process.exit(text ? 0 : 1);
}, 250);

// The campaign managers' page: plain ES module, no build step. Talks to the /v1 API of the same origin.
const $ = (id) => document.getElementById(id);
const KEY = "nudge.apiKey";

/** Calls the API with the stored key; on 401 shows the key box and throws. */
async function api(method, path, body) {
  const headers = { accept: "application/json" };
  const key = sessionStorage.getItem(KEY);
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) {
    $("auth").hidden = false;
    throw new Error("an API key is needed (see above)");
  }
  if (!res.ok) {
    const issues = (data?.issues ?? []).map((i) => `${i.path}: ${i.message}`).join("\n");
    throw new Error(
      [data?.message ?? data?.error ?? `HTTP ${res.status}`, issues].filter(Boolean).join("\n"),
    );
  }
  return data;
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

async function loadSegments() {
  const list = $("segments");
  list.replaceChildren();
  for (const s of await api("GET", "/v1/segments")) {
    const pick = el("button", { type: "button", title: s.description ?? s.sql }, s.name);
    pick.addEventListener("click", () => {
      $("segment-sql").value = s.name;
      $("segment-params").value = "{}";
      count();
    });
    list.append(el("li", {}, pick));
  }
  if (!list.children.length) list.append(el("li", { className: "muted" }, "none yet"));
}

async function count() {
  const text = $("segment-sql").value.trim();
  $("count-error").textContent = "";
  $("count-result").textContent = "…";
  $("count-detail").textContent = "";
  try {
    const params = JSON.parse($("segment-params").value || "{}");
    const isName = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(text);
    const r = await api(
      "POST",
      "/v1/segments/count",
      isName ? { name: text, params } : { sql: text, params },
    );
    $("count-result").textContent = r.count.toLocaleString("en");
    const per = Object.entries(r.perEntity ?? {}).map(([k, v]) => `${v.toLocaleString("en")} ${k}`);
    $("count-detail").textContent = [`profiles in ${Math.round(r.elapsedMs)} ms`, ...per].join(" · ");
  } catch (err) {
    $("count-result").textContent = "";
    $("count-error").textContent = err.message;
  }
}

const num = (n) => (typeof n === "number" ? n.toLocaleString("en") : "");

function showRun(run) {
  const rows = run.steps.map((s) =>
    el(
      "tr",
      {},
      el("td", {}, s.name),
      el("td", {}, s.kind ?? ""),
      el("td", { className: "n" }, num(s.count)),
      el("td", { className: "n" }, num(s.messages)),
    ),
  );
  const title = `${run.dryRun ? "Dry run" : "Run"} of ${run.campaign}: ${run.status}`;
  $("dry-run").replaceChildren(
    el("h2", {}, title),
    el(
      "table",
      { id: "dry-run-steps" },
      el("thead", {}, el("tr", {}, ...["step", "kind", "profiles", "messages"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows),
    ),
  );
}

async function loadCampaigns() {
  const body = $("campaigns");
  const select = $("preview-campaign");
  body.replaceChildren();
  select.replaceChildren();
  for (const c of await api("GET", "/v1/campaigns")) {
    const dry = el("button", { type: "button", className: "act" }, "Dry run");
    dry.addEventListener("click", async () => {
      $("campaign-error").textContent = "";
      try {
        showRun(await api("POST", `/v1/campaigns/${encodeURIComponent(c.name)}/runs`, { dryRun: true }));
      } catch (err) {
        $("campaign-error").textContent = err.message;
      }
    });
    body.append(
      el(
        "tr",
        {},
        el("td", {}, c.name),
        el("td", {}, c.kind),
        el("td", {}, c.description ?? ""),
        el("td", {}, dry),
      ),
    );
    select.append(el("option", { value: c.name }, c.name));
  }
}

async function preview() {
  $("preview-error").textContent = "";
  const name = $("preview-campaign").value;
  const profileId = $("preview-profile").value.trim();
  try {
    const q = new URLSearchParams({ profileId });
    const p = await api("GET", `/v1/campaigns/${encodeURIComponent(name)}/preview?${q}`);
    $("preview-subject").textContent = p.subject;
    $("preview-frame").srcdoc = p.html; // sandbox="": no scripts, no same-origin access
  } catch (err) {
    $("preview-error").textContent = err.message;
  }
}

async function loadAll() {
  await Promise.all([loadSegments(), loadCampaigns()]).catch((err) => {
    $("count-error").textContent = err.message;
  });
}

$("count").addEventListener("click", count);
$("segment-sql").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) count();
});
$("preview").addEventListener("click", preview);
$("save-key").addEventListener("click", () => {
  sessionStorage.setItem(KEY, $("api-key").value.trim());
  $("auth").hidden = true;
  $("count-error").textContent = "";
  loadAll();
});
loadAll();

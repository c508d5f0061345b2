// The jobs dashboard: sign in with an API key, watch jobs, submit documents, open results, cancel.
import { Api, ApiError } from "./api.js";
import { h, jobPanel, jobRow, TERMINAL } from "./views.js";

const $ = (id) => document.getElementById(id);
const KEY_ITEM = "docjobs.apiKey";
const URL_ITEM = "docjobs.apiUrl";
const PAGE_SIZE = 25;
// Polling: fast while something moves, slower while all is idle, slower still after errors.
const POLL_ACTIVE_MS = 1500;
const POLL_IDLE_MAX_MS = 15000;
const POLL_ERROR_MAX_MS = 60000;
const USAGE_EVERY_MS = 30000;

const state = {
  api: null,
  jobs: [],          // first page (refreshed by polling) + pages loaded with "Load more"
  extra: [],
  nextToken: null,
  total: 0,
  selectedId: null,
  selected: null,
  result: null,
  resultError: null,
  panelError: null,
  poll: { timer: null, interval: POLL_ACTIVE_MS, updated: null, error: null },
  usageAt: 0,
};

// ---------------------------------------------------------------- sign in / out

function show(view) {
  $("login-view").hidden = view !== "login";
  $("app-view").hidden = view !== "app";
  $("sign-out").hidden = view !== "app";
}

async function signIn(key, url) {
  const api = new Api(url || document.baseURI, key);
  await api.listJobs({ limit: 1 }); // a refused key fails here, before anything is stored
  sessionStorage.setItem(KEY_ITEM, key);
  if (url) sessionStorage.setItem(URL_ITEM, url); else sessionStorage.removeItem(URL_ITEM);
  state.api = api;
  $("connection").textContent = `connected to ${new URL(api.baseUrl).host}`;
  show("app");
  await loadJobTypes();
  await refreshUsage();
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("job");
  if (fromHash) selectJob(fromHash);
  await poll();
}

function signOut(message) {
  sessionStorage.removeItem(KEY_ITEM);
  clearTimeout(state.poll.timer);
  Object.assign(state, { api: null, jobs: [], extra: [], selectedId: null, selected: null, result: null });
  $("jobs-body").replaceChildren();
  $("job-view").hidden = true;
  $("connection").textContent = "";
  $("usage").hidden = true;
  show("login");
  const error = $("login-error");
  error.hidden = !message;
  error.textContent = message ?? "";
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = event.submitter;
  const error = $("login-error");
  error.hidden = true;
  button.disabled = true;
  try {
    await signIn($("api-key").value.trim(), $("api-url").value.trim());
    $("api-key").value = "";
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401
      ? "This API key was refused. Check it and try again."
      : `Cannot sign in: ${err.message}`;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
$("sign-out").addEventListener("click", () => signOut());

// ---------------------------------------------------------------- credits

async function refreshUsage() {
  state.usageAt = Date.now();
  try {
    const u = await state.api.usage();
    const left = u.credits_remaining === null ? "unlimited" : `${u.credits_remaining} of ${u.credits_limit} left`;
    $("usage").textContent = `· credits ${u.period}: ${u.credits_used} used, ${u.credits_reserved} reserved, ${left}`;
    $("usage").hidden = false;
  } catch {
    $("usage").hidden = true; // an API without /api/usage, or a passing error: the jobs matter more
  }
}

// ---------------------------------------------------------------- job types

async function loadJobTypes() {
  const types = await state.api.jobTypes();
  $("job-type").replaceChildren(...types.map((t) => h("option", { value: t }, t)));
  // parse needs no options: the type a dropped file is submitted as unless the user picks another
  if (types.includes("parse")) $("job-type").value = "parse";
  const filter = $("filter-type");
  filter.replaceChildren(h("option", { value: "" }, "any"), ...types.map((t) => h("option", { value: t }, t)));
  updateOptionFields();
}

function updateOptionFields() {
  $("ocr-option").hidden = $("job-type").value !== "parse";
}
$("job-type").addEventListener("change", updateOptionFields);

// ---------------------------------------------------------------- list + polling

function filters() {
  return { status: $("filter-status").value, type: $("filter-type").value };
}

async function refreshList() {
  const page = await state.api.listJobs({ ...filters(), limit: PAGE_SIZE });
  const first = new Set(page.jobs.map((j) => j.id));
  state.extra = state.extra.filter((j) => !first.has(j.id));
  state.jobs = [...page.jobs, ...state.extra];
  state.total = page.total;
  if (!state.extra.length) state.nextToken = page.next_token;
  renderList();
}

async function loadMore() {
  if (!state.nextToken) return;
  const page = await state.api.listJobs({ ...filters(), limit: PAGE_SIZE, pageToken: state.nextToken });
  const known = new Set(state.jobs.map((j) => j.id));
  const fresh = page.jobs.filter((j) => !known.has(j.id));
  state.extra.push(...fresh);
  state.jobs.push(...fresh);
  state.nextToken = page.next_token;
  renderList();
}

function renderList() {
  $("jobs-body").replaceChildren(...state.jobs.map((job) => jobRow(job, job.id === state.selectedId, selectJob)));
  $("jobs-total").textContent = state.total ? `(${state.total})` : "";
  $("jobs-empty").hidden = state.jobs.length > 0;
  $("load-more").hidden = !state.nextToken;
}

function renderPollState() {
  const p = state.poll;
  let text;
  if (document.hidden) text = "Paused while this tab is hidden.";
  else if (p.error) text = `${p.error} Retrying in ${Math.round(p.interval / 1000)} s.`;
  else if (p.updated) text = `Live · updated ${p.updated.toLocaleTimeString()}`;
  else text = "Loading…";
  $("poll-state").textContent = text;
  $("list-error").hidden = !p.error;
  $("list-error").textContent = p.error ?? "";
}

function somethingMoves() {
  return state.jobs.some((j) => !TERMINAL.has(j.status)) || (state.selected && !TERMINAL.has(state.selected.status));
}

async function poll() {
  clearTimeout(state.poll.timer);
  if (!state.api) return;
  if (document.hidden) { renderPollState(); return; } // resumed by visibilitychange
  const p = state.poll;
  try {
    await refreshList();
    await refreshSelected();
    if (Date.now() - state.usageAt > USAGE_EVERY_MS) await refreshUsage();
    p.error = null;
    p.updated = new Date();
    p.interval = somethingMoves() ? POLL_ACTIVE_MS : Math.min(POLL_IDLE_MAX_MS, p.interval * 2);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { signOut("The API key was refused: sign in again."); return; }
    p.error = err.message;
    const after = err instanceof ApiError && err.retryAfter ? err.retryAfter * 1000 : 0;
    p.interval = Math.min(POLL_ERROR_MAX_MS, Math.max(after, p.interval * 2));
  }
  renderPollState();
  if (state.api) p.timer = setTimeout(poll, p.interval);
}

function pollSoon() {
  state.poll.interval = POLL_ACTIVE_MS;
  poll();
}

document.addEventListener("visibilitychange", () => {
  if (!state.api) return;
  if (document.hidden) { clearTimeout(state.poll.timer); renderPollState(); } else pollSoon();
});
$("filter-status").addEventListener("change", () => { state.extra = []; state.nextToken = null; pollSoon(); });
$("filter-type").addEventListener("change", () => { state.extra = []; state.nextToken = null; pollSoon(); });
$("refresh").addEventListener("click", pollSoon);
$("load-more").addEventListener("click", () => loadMore().catch((err) => { state.poll.error = err.message; renderPollState(); }));

// ---------------------------------------------------------------- one job

async function selectJob(id) {
  if (state.selectedId !== id) Object.assign(state, { selected: null, result: null, resultError: null, panelError: null });
  state.selectedId = id;
  history.replaceState(null, "", `#job=${encodeURIComponent(id)}`);
  renderList();
  try {
    await refreshSelected(true);
  } catch (err) {
    state.panelError = err instanceof ApiError && err.status === 404 ? `No job ${id} (for this API key).` : err.message;
    renderPanel();
  }
}

async function refreshSelected(force = false) {
  if (!state.selectedId) return;
  if (!force && state.selected && TERMINAL.has(state.selected.status) && (state.result || !state.selected.result)) return;
  const job = await state.api.getJob(state.selectedId);
  if (job.id !== state.selectedId) return; // another job was selected meanwhile
  if (state.selected && !TERMINAL.has(state.selected.status) && TERMINAL.has(job.status)) state.usageAt = 0;
  state.selected = job;
  if (job.status === "completed" && job.result) state.result = job.result;
  renderPanel();
}

async function loadFullResult() {
  try {
    state.result = await state.api.fetchResult(state.selected.result_url);
    state.resultError = null;
  } catch (err) {
    state.resultError = err.message;
  }
  renderPanel();
}

async function cancelSelected() {
  const id = state.selectedId;
  try {
    await state.api.cancelJob(id);
    state.panelError = null;
  } catch (err) {
    state.panelError = err instanceof ApiError && err.code === "CONFLICT" ? `Not cancelled: ${err.message}` : err.message;
  }
  await refreshSelected(true).catch(() => {});
  pollSoon();
}

function closePanel() {
  Object.assign(state, { selectedId: null, selected: null, result: null, resultError: null, panelError: null });
  history.replaceState(null, "", location.pathname + location.search);
  $("job-view").hidden = true;
  renderList();
}

function renderPanel() {
  const panel = $("job-view");
  panel.hidden = false;
  if (!state.selected) {
    panel.replaceChildren(h("p", { class: state.panelError ? "error" : "muted" }, state.panelError ?? "Loading…"),
      h("button", { type: "button", class: "link", onclick: closePanel }, "Close"));
    return;
  }
  panel.replaceChildren(...jobPanel(state.selected, {
    onCancel: cancelSelected,
    onClose: closePanel,
    onLoadResult: loadFullResult,
    result: state.result,
    resultError: state.resultError,
  }).flat().filter(Boolean));
  if (state.panelError) panel.append(h("p", { class: "error", role: "alert" }, state.panelError));
}

// ---------------------------------------------------------------- upload + submit

function readOptions() {
  const text = $("job-options").value.trim();
  let options = {};
  if (text) {
    options = JSON.parse(text); // a SyntaxError is shown to the user
    if (typeof options !== "object" || Array.isArray(options) || options === null) throw new SyntaxError("options must be a JSON object");
  }
  const type = $("job-type").value;
  if (type === "parse" && $("ocr-mode").value !== "auto" && !("ocr" in options)) options.ocr = $("ocr-mode").value;
  return { type, options };
}

async function submitFile(file) {
  const status = $("upload-status");
  status.classList.remove("error");
  let request;
  try {
    request = readOptions();
  } catch (err) {
    status.textContent = `Options: ${err.message}`;
    status.classList.add("error");
    return;
  }
  try {
    status.textContent = `Uploading ${file.name}…`;
    const doc = await state.api.createDocument(file);
    await state.api.uploadFile(doc.upload_url, file, (sent, total) => {
      status.textContent = `Uploading ${file.name}… ${Math.floor((sent * 100) / total)}%`;
    });
    const job = await state.api.submitJob({ type: request.type, document_id: doc.document_id, options: request.options });
    status.textContent = `Submitted ${file.name} as ${request.type} job ${job.id}.`;
    state.usageAt = 0; // its credits show at the next poll
    await selectJob(job.id);
    pollSoon();
  } catch (err) {
    status.textContent = `${file.name}: ${err.code && err.code !== "NETWORK" ? err.code + ": " : ""}${err.message}`;
    status.classList.add("error");
  }
}

const zone = $("upload-form");
zone.addEventListener("submit", (e) => e.preventDefault());
$("file-input").addEventListener("change", (e) => {
  for (const file of e.target.files) submitFile(file);
  e.target.value = "";
});
for (const name of ["dragenter", "dragover"]) {
  zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.add("dragging"); });
}
for (const name of ["dragleave", "drop"]) {
  zone.addEventListener(name, () => zone.classList.remove("dragging"));
}
zone.addEventListener("drop", (e) => {
  e.preventDefault();
  for (const file of e.dataTransfer.files) submitFile(file);
});

// ---------------------------------------------------------------- start

const savedKey = sessionStorage.getItem(KEY_ITEM);
if (savedKey) {
  signIn(savedKey, sessionStorage.getItem(URL_ITEM) ?? "").catch((err) => signOut(`Sign in again: ${err.message}`));
} else {
  show("login");
}

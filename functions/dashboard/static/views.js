// Rendering: every value goes into the DOM as text (never as HTML).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const TERMINAL = new Set(["completed", "failed", "cancelled"]);
export const CANCELLABLE = new Set(["queued", "processing", "retrying"]);

// The stages each type goes through, in order (the contract's seven; a type uses some).
const STAGES = {
  parse: ["uploading", "parsing", "ocr", "chunking", "vectorizing"],
  extract: ["uploading", "parsing", "ocr", "extracting"],
  split: ["uploading", "parsing", "ocr", "extracting", "generating"],
  edit: ["uploading", "parsing", "generating"],
  generate: ["extracting", "generating"],
};
const ALL_STAGES = ["uploading", "parsing", "ocr", "chunking", "vectorizing", "extracting", "generating"];

export function shortId(id) { return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id; }

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

function seconds(from, to) {
  const a = Date.parse(from), b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  const s = Math.max(0, (b - a) / 1000);
  return s < 90 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`;
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, status);
}

export function progressBar(job) {
  const label = TERMINAL.has(job.status) ? `${job.progress}%` : `${job.progress}% ${job.stage ?? ""}`.trim();
  const fill = h("div", { class: "fill" });
  fill.style.width = `${Math.max(0, Math.min(100, job.progress))}%`; // CSSOM: allowed by the page's CSP
  return h("div", { class: `progress status-${job.status}`, role: "progressbar", "aria-valuenow": job.progress, "aria-valuemin": 0, "aria-valuemax": 100 },
    fill, h("span", { class: "label" }, label));
}

export function jobRow(job, selected, onSelect) {
  return h("tr", { class: selected ? "selected" : "", dataset: { jobId: job.id }, tabindex: 0,
    onclick: () => onSelect(job.id), onkeydown: (e) => { if (e.key === "Enter") onSelect(job.id); } },
  h("td", { class: "mono", title: job.id }, shortId(job.id)),
  h("td", {}, job.type),
  h("td", {}, statusBadge(job.status)),
  h("td", {}, progressBar(job)),
  h("td", { class: "muted" }, when(job.created_at)));
}

function stageTrack(job, result) {
  const stages = STAGES[job.type] ?? ALL_STAGES;
  // A completed job shows no stage (it has none running): every stage of its type was reached.
  const reached = job.status === "completed" ? stages.length : stages.indexOf(job.stage);
  // A completed parse says how many pages needed OCR: none means the stage was skipped.
  const skipped = new Set(result?.metadata?.ocr_pages === 0 ? ["ocr"] : []);
  return h("ol", { class: "stages" }, stages.map((stage, i) => {
    let state = "pending";
    if (reached >= 0 && i < reached) state = skipped.has(stage) ? "skipped" : "done";
    if (i === reached) state = job.status === "completed" ? "done" : TERMINAL.has(job.status) ? "stopped" : "current";
    return h("li", { class: `stage ${state}`, title: state }, stage);
  }));
}

function facts(rows) {
  return h("dl", { class: "facts" }, rows.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function chunksView(chunks) {
  return h("section", { class: "result" },
    h("h3", {}, `Chunks (${chunks.length})`),
    h("ol", { class: "chunks" }, chunks.map((chunk) => h("li", { class: "chunk" },
      h("div", { class: "chunk-head" },
        h("span", { class: "pages" }, chunk.page_start === chunk.page_end ? `page ${chunk.page_start}` : `pages ${chunk.page_start}–${chunk.page_end}`),
        chunk.heading_path?.length ? h("span", { class: "heading" }, chunk.heading_path.join(" › ")) : null,
        h("span", { class: "muted small" }, `${chunk.token_count ?? "?"} tokens`)),
      h("details", {},
        h("summary", {}, (chunk.text ?? "").slice(0, 160) + ((chunk.text ?? "").length > 160 ? "…" : "")),
        h("pre", { class: "chunk-text" }, chunk.text ?? ""))))));
}

function fieldsView(fields) {
  return h("section", { class: "result" },
    h("h3", {}, `Extracted fields (${fields.length})`),
    h("table", { class: "fields" },
      h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Value"), h("th", {}, "Citation"), h("th", {}, "Page"), h("th", {}, "Verified"))),
      h("tbody", {}, fields.map((f) => h("tr", {},
        h("td", { class: "mono" }, f.path),
        h("td", {}, typeof f.value === "object" ? JSON.stringify(f.value) : String(f.value)),
        h("td", { class: "muted" }, f.text ?? ""),
        h("td", {}, f.page ?? ""),
        h("td", {}, f.verified ? "✓" : "✗"))))));
}

function outputDocuments(result) {
  const docs = [];
  if (result.document_id) docs.push({ name: result.filename ?? result.document_id, url: result.url });
  for (const segment of result.segments ?? []) {
    if (segment.document_id) docs.push({ name: segment.filename ?? segment.name ?? segment.document_id, url: segment.url, pages: segment.pages });
  }
  if (!docs.length) return null;
  return h("section", { class: "result" },
    h("h3", {}, `Output documents (${docs.length})`),
    h("ul", { class: "outputs" }, docs.map((d) => h("li", {},
      d.url ? h("a", { href: d.url, target: "_blank", rel: "noopener" }, d.name) : d.name,
      d.pages ? h("span", { class: "muted small" }, ` pages ${d.pages.join(", ")}`) : null))));
}

export function resultView(result) {
  const parts = [];
  if (Array.isArray(result.chunks)) parts.push(chunksView(result.chunks));
  if (Array.isArray(result.fields)) parts.push(fieldsView(result.fields));
  const outputs = outputDocuments(result);
  if (outputs) parts.push(outputs);
  if (!parts.length) parts.push(h("section", { class: "result" }, h("h3", {}, "Result"), h("pre", { class: "json" }, JSON.stringify(result, null, 2))));
  return parts;
}

/** The job panel: header, progress, stages, timings, error, then the result (or a button for a large one). */
export function jobPanel(job, { onCancel, onClose, onLoadResult, result, resultError }) {
  const meta = job.metadata ?? {};
  const duration = job.completed_at ? seconds(job.created_at, job.completed_at) : null;
  return [
    h("div", { class: "panel-head" },
      h("h2", { class: "mono", title: job.id }, shortId(job.id)),
      statusBadge(job.status),
      h("span", { class: "spacer" }),
      CANCELLABLE.has(job.status) ? h("button", { type: "button", class: "danger", id: "cancel-job", onclick: onCancel }, "Cancel job") : null,
      h("button", { type: "button", class: "link", onclick: onClose, "aria-label": "Close" }, "✕")),
    progressBar(job),
    stageTrack(job, result),
    job.status === "failed" || job.error ? h("div", { class: "job-error", role: "alert" },
      h("strong", {}, job.error_code ?? "ERROR"), " ", job.error ?? "",
      job.retry_count ? h("div", { class: "muted small" }, `after ${job.retry_count} retr${job.retry_count === 1 ? "y" : "ies"}`) : null) : null,
    facts([
      ["Job id", h("span", { class: "mono" }, job.id)],
      ["Type", job.type],
      ["File", meta.filename],
      ["File type", meta.file_type],
      ["Pages", meta.pages],
      ["Document", job.document_id ? h("span", { class: "mono" }, job.document_id) : job.input_url],
      ["Created", when(job.created_at)],
      ["Updated", when(job.updated_at)],
      [job.status === "completed" ? "Completed" : "Ended", when(job.completed_at)],
      ["Took", duration],
      ["Retries", job.retry_count || null],
      ["Credits", job.credits ? `${job.credits.cost} (${job.credits.state}, ${job.credits.period})` : null],
      ["Options", Object.keys(job.options ?? {}).length ? h("code", {}, JSON.stringify(job.options)) : null],
    ]),
    job.status === "completed" && result ? resultView(result) : null,
    job.status === "completed" && !result && job.result_url
      ? h("button", { type: "button", onclick: onLoadResult }, "Load the full result") : null,
    resultError ? h("p", { class: "error" }, resultError) : null,
  ];
}

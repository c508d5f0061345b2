// The docjobs Jobs API from the browser: one class, errors as ApiError with the API's error_code.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

function retryAfterSeconds(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
}

export class Api {
  /** baseUrl: where /api/... lives (this page's base by default); key: the API key. */
  constructor(baseUrl, key) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    this.key = key;
  }

  url(path, params = {}) {
    const url = new URL(path.replace(/^\//, ""), this.baseUrl);
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    return url.toString();
  }

  /** One call; 429/5xx and network errors are retried twice with jittered backoff (Retry-After wins). */
  async request(method, path, { params, body, headers = {}, retries = 2 } = {}) {
    const init = { method, headers: { Authorization: `Bearer ${this.key}`, Accept: "application/json", ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(this.url(path, params), init);
      } catch (err) {
        if (attempt < retries) { await sleep(backoff(attempt)); continue; }
        throw new ApiError(0, "NETWORK", `cannot reach the API at ${this.baseUrl} (offline, or another origin without CORS)`);
      }
      if (RETRYABLE.has(response.status) && attempt < retries) {
        const after = retryAfterSeconds(response);
        await sleep(after !== null ? after * 1000 : backoff(attempt));
        continue;
      }
      const text = await response.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch { data = null; }
      if (!response.ok) {
        const code = (data && data.error_code) || `HTTP_${response.status}`;
        const message = (data && (data.error || data.message)) || text.slice(0, 200) || response.statusText;
        throw new ApiError(response.status, code, message, retryAfterSeconds(response));
      }
      return data;
    }
  }

  listJobs({ status, type, limit = 25, pageToken } = {}) {
    return this.request("GET", "api/jobs", { params: { status, type, limit, page_token: pageToken } });
  }
  usage() { return this.request("GET", "api/usage"); }
  getJob(id) { return this.request("GET", `api/jobs/${encodeURIComponent(id)}`); }
  cancelJob(id) { return this.request("DELETE", `api/jobs/${encodeURIComponent(id)}`); }
  submitJob(body) {
    const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    return this.request("POST", "api/jobs", { body, headers: { "Idempotency-Key": `dashboard-${key}` } });
  }
  createDocument(file) {
    return this.request("POST", "api/documents", {
      body: { filename: file.name, content_type: file.type || "application/octet-stream" },
    });
  }

  /** PUT the file to its presigned URL, reporting progress (XMLHttpRequest: fetch has no upload progress). */
  uploadFile(uploadUrl, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", uploadUrl);
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total); };
      xhr.onload = () => (xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new ApiError(xhr.status, "UPLOAD_FAILED", `the upload was refused (HTTP ${xhr.status})`)));
      xhr.onerror = () => reject(new ApiError(0, "UPLOAD_FAILED", "the upload could not reach storage"));
      xhr.send(file);
    });
  }

  /** A large result lives behind a presigned URL (no API key goes there). */
  async fetchResult(resultUrl) {
    const response = await fetch(resultUrl);
    if (!response.ok) throw new ApiError(response.status, "RESULT_UNAVAILABLE", `the result could not be fetched (HTTP ${response.status})`);
    return response.json();
  }

  /** The job types this deployment runs, from its OpenAPI document (the submit body's enum). */
  async jobTypes() {
    try {
      const response = await fetch(this.url("api/openapi.json"));
      if (response.ok) {
        const doc = await response.json();
        const types = doc?.components?.schemas?.SubmitJobRequest?.properties?.type?.enum;
        if (Array.isArray(types) && types.length) return types;
      }
    } catch { /* fall back below */ }
    return ["parse"];
  }
}

export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
function backoff(attempt) { return Math.random() * Math.min(8000, 500 * 2 ** attempt); }

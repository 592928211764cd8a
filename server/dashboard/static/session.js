// Login, the access/refresh token pair and authorized requests.
// The access token is renewed with the rotating refresh token a minute (at most a fifth of
// its lifetime) before it expires; listeners (the socket's `reauth`) get every new token.

const KEY = "booking.session";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

async function send(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export class Session {
  constructor() {
    this.data = JSON.parse(sessionStorage.getItem(KEY) || "null");
    this.timer = null;
    this.refreshing = null;
    this.tokenListeners = new Set();
    this.endListeners = new Set();
    if (this.data) this.scheduleRenewal();
  }

  get user() {
    return this.data?.user ?? null;
  }

  get tenant() {
    return this.data?.tenant ?? null;
  }

  async login(tenant, email, password) {
    const tokens = await send("POST", "/v1/auth/login", { body: { tenant, email, password } });
    this.store(tokens, tenant);
  }

  store(tokens, tenant) {
    const ttl = tokens.expires_in * 1000;
    this.data = {
      tenant: tenant ?? this.data?.tenant,
      user: tokens.user ?? this.data?.user,
      access: tokens.access_token,
      refresh: tokens.refresh_token,
      ttl,
      expiresAt: Date.now() + ttl,
    };
    sessionStorage.setItem(KEY, JSON.stringify(this.data));
    this.scheduleRenewal();
    for (const listener of this.tokenListeners) listener(this.data.access);
  }

  scheduleRenewal() {
    clearTimeout(this.timer);
    const lead = Math.min(60_000, this.data.ttl / 5);
    const wait = Math.max(1000, this.data.expiresAt - lead - Date.now());
    this.timer = setTimeout(() => this.refresh().catch(() => {}), wait);
  }

  // One renewal at a time: concurrent callers share it (a refresh token is single use).
  refresh() {
    this.refreshing ??= (async () => {
      try {
        const tokens = await send("POST", "/v1/auth/refresh", {
          body: { refresh_token: this.data.refresh },
        });
        this.store(tokens);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) this.end();
        throw err;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async token() {
    if (!this.data) throw new ApiError(401, { detail: "Signed out" });
    if (Date.now() > this.data.expiresAt - 5000) await this.refresh();
    return this.data.access;
  }

  // An authorized request; a 401 renews the token once and tries again.
  async request(method, path, body) {
    try {
      return await send(method, path, { body, token: await this.token() });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || !this.data) throw err;
      await this.refresh();
      return send(method, path, { body, token: this.data.access });
    }
  }

  async logout() {
    if (!this.data) return;
    const { refresh, access } = this.data;
    this.end();
    await send("POST", "/v1/auth/logout", { body: { refresh_token: refresh }, token: access })
      .catch(() => {});
  }

  end() {
    clearTimeout(this.timer);
    this.data = null;
    sessionStorage.removeItem(KEY);
    for (const listener of this.endListeners) listener();
  }
}

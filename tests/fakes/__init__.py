"""Local fakes of external HTTP services, driven by the real SDKs in tests and the local runtime."""

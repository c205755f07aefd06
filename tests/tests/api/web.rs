//! Web sign-in tests (cookie sessions, CSRF).

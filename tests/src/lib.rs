//! Black-box test suite for Passerelle; the tests live under `tests/`.

pub mod hostile;

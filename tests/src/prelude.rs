//! Everything a test module needs, in one `use passerelle_tests::prelude::*;`.

pub use crate::accounts::{secret_from_uri, Account, NowTs};
pub use crate::app::{client_for, start_time, Backend, Detached, TestApp};
pub use crate::data::{assert_nothing_stored, fixture, parse_csv, stored_files};
pub use crate::responses::{
    assert_error, body, error_code, id_of, ids, in_days, parse_time, sha256_hex, status_and_code,
};
pub use crate::upload::{
    multipart_body, multipart_head, multipart_tail, multipart_type, Upload, BOUNDARY,
};
pub use crate::world::Exchange;

//! Passerelle's encrypted blob store.

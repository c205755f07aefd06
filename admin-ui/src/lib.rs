//! Passerelle's web interface: templates and embedded static assets.

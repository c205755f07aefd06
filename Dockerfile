# syntax=docker/dockerfile:1
#
# Passerelle gateway image.
#
#   docker build -t passerelle .
#   docker run --init -p 8443:8443 -v passerelle-data:/var/lib/passerelle passerelle
#
# (--init puts a minimal init as PID 1, which forwards SIGTERM and reaps children.)
# Needs BuildKit (the default builder since Docker 23; also Podman/Buildah) for the cache mount below.
# Production TLS material: see certs/README.md (PASSERELLE_TLS_CERT / PASSERELLE_TLS_KEY, mounted
# read-only, key file mode 0600 owned by uid 10001).

# The base images, replaceable where no registry is reachable (deploy/README.md builds them with
# debootstrap from Debian's packages): --build-arg RUNTIME_IMAGE=... --build-arg BUILDER_IMAGE=...
# A builder image must hold Rust 1.95 (cargo) besides Debian bookworm.
ARG BUILDER_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build ---------------------------------------------------------------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /build
# Queries checked at compile time use the prepared `.sqlx/` data, never a live database.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never

# Dependency caching: a "manifests first" layer does not work cleanly here, because cargo needs
# every target a manifest declares (storage's [[bench]], the tests crate's files...) just to read the
# workspace. BuildKit cache mounts do the job instead: the registry and the compiled dependencies
# are kept between builds, outside the image. The workspace's own crates are cleaned first so that
# they are always rebuilt from the sources just copied, whatever their modification times. The
# binary is copied out because a cache mount is not part of the image.
# The context is filtered by .dockerignore; templates, migrations and gateway/data/ are compiled in.
# webauthn-rs (passkeys) links OpenSSL: its headers and pkg-config to build, libssl3 to run.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,id=passerelle-cargo-registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,id=passerelle-cargo-git,sharing=locked \
    --mount=type=cache,target=/build/target,id=passerelle-target,sharing=locked \
    cargo clean --release -p gateway -p storage -p admin-ui \
 && cargo build --release --locked -p gateway \
 && install -m 0755 target/release/passerelle /usr/local/bin/passerelle

# ---- runtime -------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

LABEL org.opencontainers.image.title="Passerelle" \
      org.opencontainers.image.description="Secure file-exchange gateway for social-housing bodies" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# ca-certificates: outbound TLS (object store, PostgreSQL). tzdata: Europe/Paris for local times
# shown to people (stored and audited times stay UTC). libssl3: passkey signatures (webauthn-rs).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libssl3 \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged service account; the data directory (SQLite database, encrypted blobs, keys, the
# development certificate) belongs to it alone. A bind mount must be owned by 10001:10001 on the host.
RUN groupadd --system --gid 10001 passerelle \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/passerelle --no-create-home \
        --shell /usr/sbin/nologin passerelle \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/passerelle

COPY --from=builder /usr/local/bin/passerelle /usr/local/bin/passerelle

# Freed large blocks (argon2's 19 MiB per hash) go back to the system: memory stays flat.
ENV MALLOC_MMAP_THRESHOLD_=1048576
ENV PASSERELLE_DATA_DIR=/var/lib/passerelle \
    PASSERELLE_LISTEN=0.0.0.0:8443 \
    TZ=Europe/Paris

# Declared after the directory is created and chowned: changes made after VOLUME would be lost.
VOLUME ["/var/lib/passerelle"]
WORKDIR /var/lib/passerelle
EXPOSE 8443
USER 10001:10001

# No HEALTHCHECK: the image has no curl or wget (on purpose: nothing beyond the binary and
# certificates), and GET /healthz is served over TLS. Let the orchestrator probe
# https://<host>:8443/healthz (or the TCP port) instead.

ENTRYPOINT ["/usr/local/bin/passerelle"]
CMD ["serve"]

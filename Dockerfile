# feedarc container image: compiled in a build stage (Debian's -dev packages
# from deploy/debian-packages.txt), run from a slim stage that holds only the
# runtime libraries and the one binary, as the non-root user feedarc
# (10001:10001).  No compiler, no headers, no sources in the final image.
#
#   podman build --format docker -t feedarc .        (or: docker build -t feedarc .)
#   podman run --rm feedarc demo --out /tmp/demo
#   podman run --rm -v "$PWD/feedarc.yaml:/etc/feedarc/feedarc.yaml:ro" \
#              -v feedarc-archive:/var/lib/feedarc/archive \
#              -v feedarc-state:/var/lib/feedarc/state feedarc
#
# The config mounted at /etc/feedarc/feedarc.yaml should say
#   storage: { dir: /var/lib/feedarc/archive, state_dir: /var/lib/feedarc/state }
# (relative paths resolve against the config's own folder, /etc/feedarc, which
# the feedarc user cannot write).
#
# tests/container/test_container.sh builds this file and runs the image's
# binary (opt-in ctest test, -DFEEDARC_CONTAINER_TEST=ON).

FROM debian:bookworm AS build
WORKDIR /src
COPY deploy/debian-packages.txt deploy/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(sed -e 's/#.*//' deploy/debian-packages.txt) \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
          -DFEEDARC_TESTS=OFF -DFEEDARC_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" \
 && install -D -m 0755 /build/cli/feedarc /out/usr/bin/feedarc

FROM debian:bookworm-slim
# The shared libraries feedarc links (bookworm names; libcurl4 is the OpenSSL
# flavour that libcurl4-openssl-dev builds against) and CA certificates for
# https feeds.  apt-get clean: the package cache (~90 MB of .debs and
# pkgcache.bin) must not stay in a layer, whatever apt config the base has.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libuv1 libxml2 libxxhash0 libzstd1 libyaml-0-2 libsqlite3-0 \
      libssl3 libyajl2 libmicrohttpd12 zlib1g libisal2 libbrotli1 libunistring2 libsystemd0 libuchardet0 \
      libhiredis0.14 libjemalloc2 \
      ca-certificates curl \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 feedarc \
 && useradd --system --uid 10001 --gid feedarc --home-dir /var/lib/feedarc \
            --create-home --shell /usr/sbin/nologin feedarc \
 && install -d -o feedarc -g feedarc -m 0750 \
            /var/lib/feedarc/archive /var/lib/feedarc/state
COPY --from=build /out/ /
# Numeric, so that a runtime can check it is not root without reading
# /etc/passwd (Kubernetes' runAsNonRoot).
USER 10001:10001
WORKDIR /var/lib/feedarc
# Created above owned by feedarc: a fresh named volume copies that ownership.
VOLUME ["/var/lib/feedarc/archive", "/var/lib/feedarc/state"]
EXPOSE 9464
ENTRYPOINT ["/usr/bin/feedarc"]
# The service, on the mounted config (it must put storage.dir and
# storage.state_dir in the two volumes, and metrics.listen on 0.0.0.0:9464
# to be scraped from outside; docs/OPERATIONS.md).  `once` works too:
# `podman run ... feedarc:latest once -c /etc/feedarc/feedarc.yaml`.
CMD ["serve", "-c", "/etc/feedarc/feedarc.yaml"]
# /healthz: 200 while the crawl loop turns and the archive is writable.
# (Kept by `podman build --format docker`; OCI images drop HEALTHCHECK.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9464/healthz"]

# feedarc container image: built in one stage, run in a slim stage with only
# the runtime libraries, as a non-root user.  (First version: `feedarc once`
# and `feedarc demo`; the service mode, health check and volumes' state are
# completed with `feedarc serve`.)
FROM debian:bookworm AS build
WORKDIR /src
COPY deploy/debian-packages.txt deploy/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(grep -v '^#' deploy/debian-packages.txt) ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DFEEDARC_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" \
 && install -D -m 0755 /build/cli/feedarc /out/usr/bin/feedarc

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libuv1 libxml2 libxxhash0 libzstd1 libyaml-0-2 libsqlite3-0 \
      libssl3 libyajl2 libmicrohttpd12 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/feedarc --create-home feedarc
COPY --from=build /out/ /
USER feedarc
WORKDIR /var/lib/feedarc
VOLUME ["/var/lib/feedarc/archive", "/var/lib/feedarc/state"]
ENTRYPOINT ["/usr/bin/feedarc"]
CMD ["once", "-c", "/etc/feedarc/feedarc.yaml"]

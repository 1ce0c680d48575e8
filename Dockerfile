# shardis as a sidecar container. The build stage runs the same script calls as CI
# (scripts/install-deps.sh, then CMake), so what CI checks is what the image builds.
#   docker build -t shardis .
#   docker run -p 6379:6379 -v $PWD/my.yml:/etc/shardis/shardis.yml shardis
FROM debian:bookworm-slim AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh \
 && cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSHARDIS_TESTS=OFF \
 && cmake --build build/release -j"$(nproc)" --target shardis \
 && mkdir -p /out/lib \
 && cp build/release/bin/shardis /out/ \
 && ldd build/release/bin/shardis | awk '/=> \//{print $3}' \
      | grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' \
      | xargs -r cp -L -t /out/lib

FROM debian:bookworm-slim
RUN useradd --system --no-create-home --uid 10001 shardis
COPY --from=build /out/shardis /usr/local/bin/shardis
COPY --from=build /out/lib/ /usr/local/lib/shardis/
COPY conf/ /etc/shardis/
COPY conf/examples/sidecar.yml /etc/shardis/shardis.yml
ENV LD_LIBRARY_PATH=/usr/local/lib/shardis
USER shardis
EXPOSE 6379 22222
# Healthy when the proxy answers PING on its listen port (bash's /dev/tcp: no client needed).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\\r\\n' >&3 && read -t 2 -r reply <&3 && [ \"${reply%$'\\r'}\" = '+PONG' ]"]
ENTRYPOINT ["/usr/local/bin/shardis"]
CMD ["--config", "/etc/shardis/shardis.yml", "--stats-addr", "0.0.0.0"]

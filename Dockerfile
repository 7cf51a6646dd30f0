# convlat-server and the CPU agent on Debian 12. (Not built in CI: no Docker engine there.)
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"$(nproc)" \
      --target convlat-server convlat-agent convlat-client

FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libspdlog1.10 libprometheus-cpp-pull1.0 libsqlite3-0 libdnnl2 libonnx1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/server/convlat-server /src/build/profiler_agent/convlat-agent \
     /src/build/client/convlat-client /usr/local/bin/
# The public GPU measurements, for --seed_public_data (licenses and provenance beside them).
COPY --from=build /src/data/public /usr/share/convlat/public
VOLUME /var/lib/convlat
EXPOSE 50051 9464
ENTRYPOINT ["convlat-server", "--listen=0.0.0.0:50051", "--db=/var/lib/convlat/convlat.db", "--metrics=0.0.0.0:9464"]

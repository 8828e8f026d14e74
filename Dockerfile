# syntax=docker/dockerfile:1
# DiunDashboard's container image: a static binary (no cgo) on distroless, run as a non-root
# user, with the SQLite database in the /data volume by default.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t diundashboard .
#
# The go build line is the one `make build` runs (a test in internal/deploytest keeps them
# equal), so the image and bin/diundashboard are built the same way.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/diundashboard ./cmd/diundashboard
# The volume's mount point, owned by the distroless nonroot user (65532) and closed to others
# (the database holds sessions and token hashes), so that a fresh named volume is writable by
# the server and the server does not warn about it.
RUN mkdir -p -m 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=""
LABEL org.opencontainers.image.title="DiunDashboard" \
      org.opencontainers.image.description="A dashboard for Diun's image update notifications: webhook receiver, triage UI and JSON API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /out/diundashboard /diundashboard
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATABASE_URL=sqlite:/data/diundashboard.db \
    LISTEN_ADDR=:8080 \
    LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# /healthz answers without touching the database, so a database outage does not get the
# container restarted; /readyz is the one that checks the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/diundashboard", "healthcheck"]
ENTRYPOINT ["/diundashboard"]
CMD ["serve"]

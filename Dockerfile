# Backpack: a single static Go binary (pure Go, SQLite through modernc.org/sqlite,
# no cgo) in a distroless image.
#
#   docker build -t backpack .
#   docker run -p 8080:8080 -v backpack-data:/data backpack
#
# The generated templ code (*_templ.go) is committed (CI checks that it is up
# to date), so the build does not run templ.

ARG GO_VERSION=1.26.10

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Use exactly the toolchain of the image; fail instead of downloading another.
ENV GOTOOLCHAIN=local

# Download the modules in their own layer, so that a change of the source
# does not download them again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/backpack ./cmd/backpack \
	&& mkdir -p /out/data

# static-debian12 has CA certificates (for SMTP over TLS), tzdata and /tmp,
# and no shell. The :nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/backpack /backpack
# An empty /data owned by the runtime user: a new named volume copies this
# ownership, so the program can write its database there.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/backpack"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]

# syntax=docker/dockerfile:1
# One image for every credroam service; the service is chosen by the command:
#   docker run IMAGE directory-gateway | token-crypto | logon-events | audit
# Any other command runs as given (e.g. `node deploy/secrets/secrets.cjs compose …`, `bin/credroam keys new-storage-key …`).
# Build: docker build -t credroam:0.1.0 .

ARG NODE_VERSION=20.20.2
ARG DEBIAN_RELEASE=bookworm

# Toolchain shared by both dependency installs: better-sqlite3 (audit's embedded database) compiles from source.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./

# Everything, to compile TypeScript.
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY libs libs
COPY apps apps
RUN npm run build

# Production dependencies only (no compiler, no test runner), native modules built against this Node.
FROM toolchain AS production-deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production
# A fixed, unprivileged uid/gid (not the base image's 1000, which often is a real user on the host), so that
# Kubernetes' runAsNonRoot can check it and the compose init step can hand files to it.
RUN groupadd --gid 10001 credroam \
  && useradd --uid 10001 --gid credroam --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin credroam \
  && mkdir -p /run/credroam /var/lib/credroam \
  && chown credroam:credroam /var/lib/credroam
WORKDIR /app
COPY --from=production-deps /src/node_modules node_modules
COPY --from=build /src/dist dist
# run-service.cjs resolves the @credroam/* aliases inside dist/ from tsconfig.json's paths.
COPY package.json tsconfig.json ./
COPY scripts/lib/run-service.cjs scripts/lib/run-service.cjs
COPY bin bin
COPY deploy/docker deploy/docker
COPY deploy/rabbitmq/definitions.cjs deploy/rabbitmq/definitions.cjs
COPY deploy/secrets deploy/secrets
USER 10001:10001
# logon-events and audit; directory-gateway and token-crypto answer over the broker only (for now).
EXPOSE 8440 8441
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["--help"]

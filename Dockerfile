# Multi-stage build of the approvals server. The runtime image holds the binary (Swift's runtime linked in
# statically), its resource bundles (the published openapi.yaml, the dashboard's templates), the workflow
# definitions and the migrations;
# PostgreSQL comes from DATABASE_URL.
FROM swift:6.1-bookworm AS build
WORKDIR /src
# Resolve dependencies first so that source edits do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product approvals \
 && mkdir /staging \
 && cp "$(swift build -c release --show-bin-path)/approvals" /staging/ \
 && cp -R "$(swift build -c release --show-bin-path)/approvals_ApprovalAPI.resources" \
          "$(swift build -c release --show-bin-path)/approvals_ApprovalServer.resources" /staging/

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app approvals
WORKDIR /app
COPY --from=build /staging/ /app/
COPY Workflows ./Workflows
COPY Migrations ./Migrations
USER approvals
ENV APPROVALS_HOST=0.0.0.0 APPROVALS_PORT=8080
EXPOSE 8080
ENTRYPOINT ["/app/approvals"]
CMD ["serve"]

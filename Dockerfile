# Plank's container image: built with Maven on a JDK 17, run on a JRE 17 as a non-root user.
#
#   docker build -t plank .
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql://user:password@db:5432/app \
#     -e PLANK_JWT_SECRET=… plank            (or -e PLANK_AUTH=none for a demo; see README)
#
# The base images are build arguments: deploy/test.sh builds with local stand-ins for them.
ARG BUILD_IMAGE=docker.io/library/maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=docker.io/library/eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# Extra Maven flags, e.g. -o (offline) when the build mounts a filled repository at /root/.m2.
ARG MAVEN_FLAGS=
COPY pom.xml ./
COPY .mvn .mvn
COPY src/main src/main
COPY frontend/src frontend/src
COPY clients/js/plank-client.js clients/js/plank-client.d.ts clients/js/
# -DnoEmbeddedPostgres: the jar without the embedded PostgreSQL binaries (14 MB). Tests, the
# format check and coverage belong to the project's own build, not to the image's.
RUN mvn -B -q ${MAVEN_FLAGS} -DnoEmbeddedPostgres -DskipTests -Dspotless.check.skip=true \
      -Djacoco.skip=true package \
 && cp target/plank.jar /plank.jar

FROM ${RUNTIME_IMAGE}
RUN groupadd --gid 10001 plank \
 && useradd --uid 10001 --gid plank --home-dir /app --no-create-home --shell /usr/sbin/nologin plank
WORKDIR /app
COPY --from=build /plank.jar /app/plank.jar
# Numeric, so that a runtime can check it is not root (Kubernetes' runAsNonRoot).
USER 10001:10001
# A container listens on every interface of its own network namespace. Without DATABASE_URL the
# jar (built without the embedded PostgreSQL) stops with one line asking for it.
ENV PLANK_HOST=0.0.0.0 \
    PLANK_PORT=8000 \
    JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8000
# Bash alone (no curl in JRE images): 200 from /ready once the node serves, 503 while it
# cannot reach the database or drains.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\"${PLANK_PORT:-8000}\" && printf 'GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ $status == *' 200 '* ]]"]
# exec: java is PID 1 and gets SIGTERM itself. JAVA_OPTS replaces the memory settings above:
# the heap is 75% of the container's memory limit, and an OutOfMemoryError ends the process
# (the orchestrator restarts it) instead of leaving a node half-working.
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/plank.jar \"$@\"", "plank"]

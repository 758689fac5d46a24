# The saerl image: every role is `saerl <role>` (see docker-compose.yml). Build context: the repository root.
# Not built on saerl's development machines (no Docker engine there); its entrypoint is checked by running the
# same command line against the same layout on a machine without one.
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -Dstyle.color=never -DskipTests package

# Only the built layout: the launcher finds no sources there, so it runs app/target/saerl.jar and never
# looks for Maven; SAERL_NO_INSTALL keeps it from installing Debian packages at container start.
FROM eclipse-temurin:25-jre
WORKDIR /opt/saerl
COPY --from=build /src/saerl /src/LICENSE /src/NOTICE /opt/saerl/
COPY --from=build /src/.ci/packages /opt/saerl/.ci/packages
COPY --from=build /src/app/target/saerl.jar /opt/saerl/app/target/saerl.jar
COPY --from=build /src/app/target/lib /opt/saerl/app/target/lib
COPY --from=build /src/app/target/apicurio-registry /opt/saerl/app/target/apicurio-registry
COPY --from=build /src/models /opt/saerl/models
COPY --from=build /src/datasets /opt/saerl/datasets
COPY --from=build /src/tools/foundry /opt/saerl/tools/foundry
COPY --from=build /src/docs/licenses.md /opt/saerl/docs/licenses.md
ENV SAERL_NO_INSTALL=1 SAERL_DATA_DIR=/var/lib/saerl
ENTRYPOINT ["/opt/saerl/saerl"]

# The saerl image: every role is `saerl <role>`. Build context: the repository root.
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:25-jre
WORKDIR /opt/saerl
COPY --from=build /src /opt/saerl
COPY --from=build /root/.m2/repository /root/.m2/repository
ENTRYPOINT ["/opt/saerl/saerl"]

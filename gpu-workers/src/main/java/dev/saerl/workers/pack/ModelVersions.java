package dev.saerl.workers.pack;

import dev.saerl.core.ids.Sha256;
import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.VersionKind;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The model-versions record announcing a pack. */
public final class ModelVersions {
  private ModelVersions() {}

  public static ModelVersion of(ModelPack pack, VersionKind kind, String method, String planVersion, long correctionsUsed) {
    try {
      return ModelVersion.newBuilder().setVersion(pack.version()).setParentVersion(pack.parentVersion()).setKind(kind)
          .setMethod(method).setPackUri(pack.dir().toAbsolutePath().toString())
          .setManifestSha256(Sha256.of(pack.file(ModelPack.MANIFEST))).setPlanVersion(planVersion)
          .setCorrectionsUsed(correctionsUsed).setCreatedAtMs(System.currentTimeMillis()).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pack.file(ModelPack.MANIFEST), e);
    }
  }
}

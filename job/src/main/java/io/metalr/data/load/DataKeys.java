package io.metalr.data.load;

import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The key of a load: the same for the same table files, placement and load settings, so each JVM
 * finds its stores by it and a rebuilt store lands under the same name. Not a digest of the
 * pixels (that would need reading them); the stores' own SHA-256 is.
 */
final class DataKeys {

    private DataKeys() {}

    static String of(RecordSource source, Placement placement, LoadSpec spec) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        md.update((source.identity() + "\n"
                + spec.splits() + " " + spec.maxPixels() + "\n").getBytes(StandardCharsets.UTF_8));
        md.update(placement.digest());
        String safe = source.name().replaceAll("[^A-Za-z0-9._-]", "_");
        return safe + "-" + HexFormat.of().formatHex(md.digest(), 0, 8);
    }
}

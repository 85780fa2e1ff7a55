package io.metalr.report;

import io.metalr.config.JobConfig;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a report, a results table or a log line above debug names a record of the data or its
 * patient, so that none of them carries a patient id or an image path ({@code report.record_ids}):
 * <ul>
 *   <li>{@code index} (default): by the record's index among the data's usable records, from 0,
 *       in the order the reader gave them ({@code record #17}; a patient by the first of its
 *       records);</li>
 *   <li>{@code hashed}: by an HMAC-SHA256 of its id (patient id or path) under a salt, 12 hex
 *       digits ({@code patient 3f9c0a1b2d4e}): the same id gives the same name within a run, so
 *       lines can be matched up, and nothing else.</li>
 * </ul>
 * The salt is 32 random bytes drawn for each run ({@link #of}) and written nowhere: ids such as
 * patient numbers are few and guessable, so a hash anyone could recompute would be reversed by
 * hashing every plausible id. (A configured salt would end up in the run's config.conf, next to
 * the hashes.) The raw id of a record goes only to debug-level log lines.
 */
public final class RecordNames {

    /** The values of {@code report.record_ids}. */
    public static final String INDEX = "index";
    public static final String HASHED = "hashed";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final RecordNames BY_INDEX = new RecordNames(null);

    /** The HMAC key; null: by index. */
    private final byte[] salt;

    private RecordNames(byte[] salt) {
        this.salt = salt;
    }

    /** As {@code report.record_ids} says, with a fresh salt when hashed: one per run. */
    public static RecordNames of(JobConfig cfg) {
        if (!cfg.word("report.record_ids").equals(HASHED)) {
            return BY_INDEX;
        }
        byte[] salt = new byte[32];
        RANDOM.nextBytes(salt);
        return new RecordNames(salt);
    }

    public static RecordNames byIndex() {
        return BY_INDEX;
    }

    /** Hashed names under this salt (tests; a run uses {@link #of}). */
    public static RecordNames hashed(byte[] salt) {
        if (salt == null || salt.length == 0) {
            throw new IllegalArgumentException("a hashed record name needs a salt");
        }
        return new RecordNames(salt.clone());
    }

    public boolean isHashed() {
        return salt != null;
    }

    /** A record: {@code record #17}, or {@code record 3f9c0a1b2d4e} (the hash of {@code id}). */
    public String record(long index, String id) {
        return salt == null ? "record #" + index : "record " + hash(id);
    }

    /**
     * A patient, given by one of its records: {@code the patient of record #17}, or
     * {@code patient 3f9c0a1b2d4e} (the hash of {@code patientId}).
     */
    public String patient(long firstRecord, String patientId) {
        return salt == null ? "the patient of record #" + firstRecord : "patient " + hash(patientId);
    }

    /** 12 hex digits of HMAC-SHA256(salt, id); only for hashed names. */
    String hash(String id) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt, "HmacSHA256"));
            byte[] h = mac.doFinal(String.valueOf(id).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 6);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e); // every Java SE has it
        }
    }
}

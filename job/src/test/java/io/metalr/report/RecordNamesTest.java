package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

/** report.record_ids: records and patients named by index or by a salted hash, never by their id. */
class RecordNamesTest {

    private static final String ID = "PATIENT-SECRET-0042";

    private static JobConfig cfg(String recordIds) {
        return JobConfig.of(ConfigFactory.parseString("report.record_ids = " + recordIds));
    }

    @Test
    void byIndexByDefault() {
        RecordNames names = RecordNames.of(JobConfig.defaults());
        assertFalse(names.isHashed());
        assertEquals("record #17", names.record(17, "/data/" + ID + "/scan.png"));
        assertEquals("the patient of record #3", names.patient(3, ID));
    }

    @Test
    void hashedNamesAreStableUnderOneSaltAndDifferUnderAnother() {
        byte[] salt = "salt one".getBytes(StandardCharsets.UTF_8);
        RecordNames run = RecordNames.hashed(salt);
        String name = run.patient(3, ID);
        assertTrue(name.matches("patient [0-9a-f]{12}"), name);
        assertFalse(name.contains("0042"), name);
        assertEquals(name, run.patient(99, ID), "the same patient, whatever record names it");
        assertEquals(name, RecordNames.hashed(salt).patient(3, ID), "the same salt, the same name");
        assertNotEquals(name, run.patient(3, "PATIENT-SECRET-0043"), "another patient");
        assertNotEquals(name, RecordNames.hashed("salt two".getBytes(StandardCharsets.UTF_8)).patient(3, ID),
                "another salt");
        assertTrue(run.record(5, "/data/" + ID + ".png").matches("record [0-9a-f]{12}"));
    }

    @Test
    void eachRunDrawsItsOwnSalt() {
        // an unsalted (or fixed-salt) hash of a guessable id would be reversed by hashing every candidate
        RecordNames a = RecordNames.of(cfg("hashed"));
        RecordNames b = RecordNames.of(cfg(" Hashed ")); // a word: trimmed, any case
        assertTrue(a.isHashed() && b.isHashed());
        assertEquals(a.patient(0, ID), a.patient(1, ID));
        assertNotEquals(a.patient(0, ID), b.patient(0, ID));
    }

    @Test
    void anUnknownModeFailsAtLoadNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cfg("names"));
        assertTrue(e.getMessage().contains("report.record_ids"), e.getMessage());
        assertTrue(e.getMessage().contains("index, hashed"), e.getMessage());
    }
}

package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metalr.model.BadModelException;
import io.metalr.udf.image.BadRecordException;

import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;

class FailureKindTest {

    @Test
    void badInputThatReachesTheDriverInsideASparkFailureIsStillBadInput() {
        // how a task's exception arrives once Spark gives up on it
        SparkException aborted = new SparkException("Job aborted due to stage failure: Task 0 in stage 3.0 failed 4 times",
                new BadModelException("/models/x.pt: tensor 'fc.weight' needs 2^40 values"));
        assertEquals(FailureKind.DATA, FailureKind.of(aborted));
        assertEquals(FailureKind.DATA, FailureKind.of(new ExecutionException(
                new SparkException("stage failure", new BadRecordException("row 7: label 9 outside 0..4")))));
        assertEquals(FailureKind.DIVERGED, FailureKind.of(new SparkException("stage failure",
                new TrainingDivergedException("loss is NaN at step 12"))));
    }

    @Test
    void theMachineryStaysInfrastructureAndConfigStaysConfig() {
        assertEquals(FailureKind.INFRASTRUCTURE, FailureKind.of(new SparkException("executor lost",
                new IOException("Connection reset by peer"))));
        assertEquals(FailureKind.INFRASTRUCTURE, FailureKind.of(new UncheckedIOException(new IOException("disk full"))));
        assertEquals(FailureKind.CONFIG, FailureKind.of(new IllegalArgumentException("train.lr = -1 must be > 0")));
        assertEquals(FailureKind.DATA, FailureKind.of(new UncheckedIOException(new BadModelException("bad zip"))));
    }
}

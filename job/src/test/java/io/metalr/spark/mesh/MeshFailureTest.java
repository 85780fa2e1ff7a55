package io.metalr.spark.mesh;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A rank that dies or is killed must make the others fail within seconds: a barrier stage whose
 * tasks hang never gets retried. The bounds below are hang guards, not speed targets.
 */
class MeshFailureTest {

    private static final int N = 3_000_000; // more than the socket buffers hold: senders are blocked mid-frame

    @Test
    void aPeerClosingItsLinksFailsTheOthersMidTransfer() {
        try (Meshes m = Meshes.join(3, 60_000)) {
            List<Future<Object>> fs = m.start((r, mesh) -> {
                if (r == 2) {
                    sleep(300); // the others are already sending to it
                    mesh.close();
                    return null;
                }
                return mesh.allMean(new float[N]);
            });
            for (int r = 0; r < 2; r++) {
                assertInstanceOf(MeshException.class, Meshes.failure(fs.get(r), 5, "rank " + r));
            }
        }
    }

    @Test
    void aPeerThatStopsCallingWithoutClosingFailsTheOthersAfterTheStallTimeout() {
        try (Meshes m = Meshes.join(3, 1_500)) {
            List<Future<Object>> fs = m.start((r, mesh) -> r == 2 ? null : mesh.allMean(new float[N]));
            for (int r = 0; r < 2; r++) {
                Throwable e = Meshes.failure(fs.get(r), 8, "rank " + r);
                assertInstanceOf(MeshException.class, e);
            }
        }
    }

    @Test
    void aCancelThatTurnsTrueEndsABlockedCallWithinASecond() {
        AtomicBoolean killed = new AtomicBoolean();
        try (Meshes m = Meshes.join(2, 600_000, killed::get, Cancel.NEVER)) {
            // rank 1 never calls: rank 0 waits in a receive that only cancel can end
            List<Future<Object>> fs = m.start((r, mesh) -> r == 1 ? null : mesh.allMean(new float[N]));
            sleep(500);
            killed.set(true);
            Throwable e = Meshes.failure(fs.get(0), 2, "rank 0");
            assertTrue(e instanceof MeshException && e.getMessage().contains("cancelled"), String.valueOf(e));
        }
    }

    @Test
    void aFailedMeshIsClosedAndRefusesFurtherCalls() {
        try (Meshes m = Meshes.join(2, 1_000)) {
            // rank 1 does not call: rank 0 times out
            List<Future<Object>> fs = m.start((r, mesh) -> r == 0 ? mesh.allSum(new double[1]) : null);
            assertInstanceOf(MeshException.class, Meshes.failure(fs.get(0), 5, "rank 0"));
            fs = m.start((r, mesh) -> mesh.allSum(new double[1]));
            Throwable e = Meshes.failure(fs.get(0), 5, "rank 0 again");
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            // and rank 1 learns of it at once, instead of after its own timeout
            assertInstanceOf(MeshException.class, Meshes.failure(fs.get(1), 5, "rank 1"));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}

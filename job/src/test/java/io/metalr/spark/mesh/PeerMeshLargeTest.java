package io.metalr.spark.mesh;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

/**
 * Gradients the size of ResNet-18's: every rank sends to and receives from every other at once,
 * far more than the sockets' buffers hold. A rank that sent before it received would deadlock;
 * the test fails if any rank is still busy after two minutes (no speed is asserted).
 */
class PeerMeshLargeTest {

    @ParameterizedTest(name = "{1} floats at size {0}")
    @CsvSource({"2, 12000000", "4, 3000000"})
    void aLargeMeanNeitherDeadlocksNorLosesAnElement(int size, int n) {
        float[][] in = new float[size][];
        for (int r = 0; r < size; r++) {
            in[r] = new float[n];
            for (int i = 0; i < n; i++) {
                in[r][i] = (i % 1000) * (r + 1) + 0.5f / (r + 1);
            }
        }
        float[] expected = PeerMeshTest.referenceMean(in);
        try (Meshes m = Meshes.join(size, 60_000)) {
            long t0 = System.nanoTime();
            List<float[]> got = m.run(120, (r, mesh) -> mesh.allMean(in[r]));
            System.out.printf("allMean of %d floats at size %d: %d ms%n", n, size, (System.nanoTime() - t0) / 1_000_000);
            for (int r = 0; r < size; r++) {
                PeerMeshTest.assertBitsEqual(expected, got.get(r), "rank " + r);
            }
        }
    }
}

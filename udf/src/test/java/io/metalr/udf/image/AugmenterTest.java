package io.metalr.udf.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AugmenterTest {

    private static final Augmenter AUG = Augmenter.defaults();

    @Test
    void sameInputsGiveIdenticalOutput() {
        Image in = TestImages.random(3, 20, 24, 1, 0, 1);
        float[] a = new float[in.data().length + 5];
        float[] b = new float[in.data().length + 9];
        for (int i = 0; i < 50; i++) {
            AUG.apply(in.data(), 3, 20, 24, a, 5, 42, 3, i);
            AUG.apply(in.data(), 3, 20, 24, b, 9, 42, 3, i);
            assertArrayEquals(Arrays.copyOfRange(a, 5, a.length), Arrays.copyOfRange(b, 9, b.length));
            assertEquals(AUG.params(42, 3, i, 20, 24), AUG.params(42, 3, i, 20, 24));
        }
        // a fresh but equal augmenter agrees too: nothing depends on instance state or call order
        assertArrayEquals(AUG.apply(in, 7, 1, 99).data(), Augmenter.defaults().apply(in, 7, 1, 99).data());
    }

    @Test
    void differentEpochSampleOrSeedGiveDifferentCrops() {
        Set<Crop> byEpoch = new HashSet<>();
        Set<Crop> bySample = new HashSet<>();
        Set<Crop> bySeed = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            byEpoch.add(AUG.params(1, i, 5, 64, 64));
            bySample.add(AUG.params(1, 0, i, 64, 64));
            bySeed.add(AUG.params(i, 0, 5, 64, 64));
        }
        // 100 draws of a 64x64 crop with a random position: nearly all distinct
        assertTrue(byEpoch.size() > 90, "epochs: " + byEpoch.size());
        assertTrue(bySample.size() > 90, "samples: " + bySample.size());
        assertTrue(bySeed.size() > 90, "seeds: " + bySeed.size());
        assertNotEquals(AUG.params(1, 0, 5, 64, 64), AUG.params(1, 1, 5, 64, 64));
        assertNotEquals(AUG.params(1, 0, 5, 64, 64), AUG.params(1, 0, 6, 64, 64));
        Image in = TestImages.random(1, 28, 28, 2, 0, 1);
        assertFalse(Arrays.equals(AUG.apply(in, 1, 0, 5).data(), AUG.apply(in, 1, 1, 5).data()));
    }

    @Test
    void cropStatisticsFollowTheConfiguredRanges() {
        int n = 20000;
        int flips = 0;
        int fallbacks = 0;
        double areaSum = 0;
        double logRatioSum = 0;
        int h = 400; // square, so log ratios are symmetric and the fallback is rare (~0.5^10 per sample)
        int w = 400;
        double area = (double) h * w;
        for (int i = 0; i < n; i++) {
            Crop c = AUG.params(11, i % 7, i, h, w);
            assertTrue(c.top() >= 0 && c.left() >= 0 && c.top() + c.height() <= h && c.left() + c.width() <= w,
                    c.toString());
            flips += c.flip() ? 1 : 0;
            if (c.fallback()) {
                fallbacks++;
                continue;
            }
            // w = round(sqrt(A r)) and h = round(sqrt(A / r)): undo the rounding by +-0.5 per side
            double cw = c.width();
            double ch = c.height();
            assertTrue((cw - 0.5) * (ch - 0.5) <= 1.0 * area && (cw + 0.5) * (ch + 0.5) >= 0.8 * area,
                    "area of " + c);
            assertTrue((cw - 0.5) / (ch + 0.5) <= 1.25 && (cw + 0.5) / (ch - 0.5) >= 0.8, "ratio of " + c);
            double fraction = cw * ch / area;
            assertTrue(fraction >= 0.8 - 0.005 && fraction <= 1.0, "fraction " + fraction);
            double ratio = cw / ch;
            assertTrue(ratio >= 0.8 - 0.005 && ratio <= 1.25 + 0.005, "ratio " + ratio);
            areaSum += fraction;
            logRatioSum += Math.log(ratio);
        }
        int kept = n - fallbacks;
        assertEquals(0.5, flips / (double) n, 0.02, "flip rate");
        // the 10 attempts almost always succeed for a near-square image
        assertTrue(fallbacks < n / 100, "fallbacks: " + fallbacks);
        // Accepted draws are biased to smaller areas (a large area with a ratio far from 1 does not
        // fit), so the mean area fraction is below the 0.9 of the raw draw; log ratios are symmetric.
        double meanArea = areaSum / kept;
        assertTrue(meanArea > 0.82 && meanArea < 0.9, "mean area fraction " + meanArea);
        assertTrue(Math.abs(logRatioSum / kept) < 0.1, "mean log ratio " + logRatioSum / kept);
    }

    @Test
    void smallImagesStayInsideTheImageAndUseTheWholeRange() {
        Set<Integer> tops = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Crop c = AUG.params(5, 0, i, 28, 28);
            assertTrue(c.height() >= 22 && c.height() <= 28 && c.width() >= 22 && c.width() <= 28, c.toString());
            assertTrue(c.top() + c.height() <= 28 && c.left() + c.width() <= 28, c.toString());
            tops.add(c.top());
        }
        assertTrue(tops.containsAll(Set.of(0, 1, 2, 3, 4)), "tops " + tops);
    }

    @Test
    void fallbackIsTheCentralCropAtTheNearestAllowedRatio() {
        // A 10x100 strip: ratio 10 is far outside [0.8, 1.25], so no attempt fits; the fallback is
        // the full height and width round(10 * 1.25) = 12 (12.5 rounds half to even), centred.
        Crop c = AUG.params(1, 2, 3, 10, 100);
        assertTrue(c.fallback());
        assertEquals(new Crop(0, 44, 10, 12, c.flip(), true), c);
        Crop tall = AUG.params(1, 2, 3, 100, 10);
        assertEquals(new Crop(44, 0, 12, 10, tall.flip(), true), tall); // round(10 / 0.8) = 12
    }

    @Test
    void unitScaleAndRatioWithoutFlipIsTheIdentity() {
        // ratio 1 means square crops, as in torchvision: the identity for a square image ...
        Augmenter id = new Augmenter(1, 1, 1, 1, false, true);
        Image in = TestImages.random(3, 19, 19, 4, -2, 2);
        for (int i = 0; i < 20; i++) {
            assertEquals(Crop.whole(19, 19), id.params(9, i, i, 19, 19));
            assertArrayEquals(in.data(), id.apply(in, 9, i, i).data());
        }
        // ... and for any other image when the ratio is pinned to its own width/height
        Augmenter own = new Augmenter(1, 1, 23 / 17.0, 23 / 17.0, false, true);
        Image wide = TestImages.random(2, 17, 23, 4, -2, 2);
        for (int i = 0; i < 20; i++) {
            assertEquals(Crop.whole(17, 23), own.params(9, i, i, 17, 23));
            assertArrayEquals(wide.data(), own.apply(wide, 9, i, i).data());
        }
        // a square-only augmenter on a wide image falls back to the central square
        assertEquals(new Crop(0, 3, 17, 17, false, true), id.params(9, 0, 0, 17, 23));
    }

    @Test
    void flipOnlyMirrorsEveryRow() {
        Augmenter flipper = new Augmenter(1, 1, 1, 1, true, true);
        Image in = TestImages.random(2, 6, 6, 5, 0, 1);
        int flipped = 0;
        for (int i = 0; i < 40; i++) {
            Crop c = flipper.params(3, 0, i, 6, 6);
            assertEquals(Crop.whole(6, 6), new Crop(c.top(), c.left(), c.height(), c.width(), false, false));
            Image out = flipper.apply(in, 3, 0, i);
            for (int ch = 0; ch < 2; ch++) {
                for (int y = 0; y < 6; y++) {
                    for (int x = 0; x < 6; x++) {
                        assertEquals(in.get(ch, y, c.flip() ? 5 - x : x), out.get(ch, y, x));
                    }
                }
            }
            flipped += c.flip() ? 1 : 0;
        }
        assertTrue(flipped > 5 && flipped < 35, "flipped " + flipped);
    }

    @Test
    void applyIsCropThenPyTorchResizeThenFlip() {
        Image in = TestImages.random(3, 30, 26, 6, 0, 1);
        for (int i = 0; i < 30; i++) {
            Crop c = AUG.params(8, 1, i, 30, 26);
            Image expected = Resize.bilinear(crop(in, c), 30, 26);
            Image out = AUG.apply(in, 8, 1, i);
            for (int ch = 0; ch < 3; ch++) {
                for (int y = 0; y < 30; y++) {
                    for (int x = 0; x < 26; x++) {
                        assertEquals(expected.get(ch, y, c.flip() ? 25 - x : x), out.get(ch, y, x), 1e-6f);
                    }
                }
            }
        }
    }

    @Test
    void outputStaysInTheInputRange() {
        Image in = TestImages.random(3, 28, 28, 7, -1.5f, 2.5f);
        float lo = Float.MAX_VALUE;
        float hi = -Float.MAX_VALUE;
        for (float v : in.data()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        for (int i = 0; i < 500; i++) {
            for (float v : AUG.apply(in, 1, i % 3, i).data()) {
                // convex combinations; allow one rounding step
                assertTrue(v >= lo - 1e-6f && v <= hi + 1e-6f, v + " outside [" + lo + ", " + hi + "]");
            }
        }
    }

    @Test
    void augmentingCommutesWithNormalisation() {
        Image in = TestImages.random(3, 16, 16, 8, 0, 1);
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        for (int i = 0; i < 20; i++) {
            Image a = AUG.apply(Normalize.apply(in, mean, std), 4, 0, i);
            Image b = Normalize.apply(AUG.apply(in, 4, 0, i), mean, std);
            assertArrayEquals(b.data(), a.data(), 1e-5f);
        }
    }

    @Test
    void disabledCopies() {
        Augmenter off = Augmenter.disabled();
        Image in = TestImages.random(1, 28, 28, 9, 0, 1);
        float[] dst = new float[28 * 28 + 3];
        off.apply(in.data(), 1, 28, 28, dst, 3, 1, 2, 3);
        assertArrayEquals(in.data(), Arrays.copyOfRange(dst, 3, dst.length));
        assertEquals(Crop.whole(28, 28), off.params(1, 2, 3, 28, 28));
    }

    @Test
    void badArgumentsAreRejected() {
        float[] src = new float[12];
        assertThrows(IllegalArgumentException.class, () -> AUG.apply(src, 1, 3, 4, new float[11], 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> AUG.apply(src, 1, 3, 4, new float[12], 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> AUG.apply(new float[11], 1, 3, 4, src, 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> AUG.apply(src, 1, 3, 4, src, 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Augmenter(0.9, 0.8, 0.8, 1.25, true, true));
        assertThrows(IllegalArgumentException.class, () -> new Augmenter(0, 1, 0.8, 1.25, true, true));
        assertThrows(IllegalArgumentException.class, () -> new Augmenter(0.8, 1, 0, 1.25, true, true));
    }

    @Test
    void sampleKeysAreStableAndSpread() {
        assertEquals(Augmenter.sampleKey("file.npz:train[17]"), Augmenter.sampleKey("file.npz:train[17]"));
        assertNotEquals(Augmenter.sampleKey("file.npz:train[17]"), Augmenter.sampleKey("file.npz:train[18]"));
        Set<Long> keys = new HashSet<>();
        for (int i = 0; i < 10000; i++) {
            keys.add(Augmenter.sampleKey("img-" + i));
        }
        assertEquals(10000, keys.size());
    }

    private static Image crop(Image in, Crop c) {
        float[] out = new float[in.channels() * c.height() * c.width()];
        int i = 0;
        for (int ch = 0; ch < in.channels(); ch++) {
            for (int y = 0; y < c.height(); y++) {
                for (int x = 0; x < c.width(); x++) {
                    out[i++] = in.get(ch, c.top() + y, c.left() + x);
                }
            }
        }
        return new Image(out, in.channels(), c.height(), c.width());
    }
}

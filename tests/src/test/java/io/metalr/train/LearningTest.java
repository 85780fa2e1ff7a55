package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

/**
 * Training learns: on a small fixed task a correct trainer must master (3 classes of 12 px images,
 * the class is where a bright blob sits; chance is 1/3), a few epochs of full fine-tuning and of
 * each MetaLR rule take the test accuracy far above chance, and the training loss falls. A trainer
 * that stepped the wrong way, applied no update, or scored the wrong images fails here; checks
 * that the outputs are numbers in [0, 1] do not see that.
 */
class LearningTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "full fine-tuning, strategy = full",
        "the paper's rule, strategy = metalr; meta.lookahead = descent; meta.direction = sgd; meta.normalize = none",
        "the public code's rule, strategy = metalr; meta.lookahead = ascent; meta.direction = sgd; meta.normalize = none",
        "the cosine rule along Adam's step, strategy = metalr; meta.lookahead = descent; meta.direction = optimizer; meta.normalize = cosine"})
    void aFewEpochsLearnTheTask(String name, String settings) {
        List<String> lines = new java.util.ArrayList<>(List.of(settings.split(";\\s*")));
        lines.addAll(List.of("train.epochs = 10", "train.lr = 0.01", "train.select_metric = accuracy",
                "data.synthetic { task = blobs, classes = 3, train = 384, val = 48, test = 96, size = 12, channels = 1 }"));
        TrainerTest.Run r = TrainerTest.run(TrainerTest.cfg(lines.toArray(new String[0])));
        List<Trainer.EpochResult> epochs = r.out().epochs();
        double first = epochs.get(0).trainLoss();
        double last = epochs.get(epochs.size() - 1).trainLoss();
        double test = r.out().test().accuracy();
        // measured on an AMD EPYC: full 0.86, the paper's rule 0.72, the code's 0.69, cosine 0.84; the
        // rules start the backbone at a tenth of the head's rate, so they learn slower than full
        assertTrue(test >= 0.6, name + ": test accuracy " + test + " (chance 0.33)");
        assertTrue(last < 0.8 * first, name + ": the training loss fell from " + first + " to only " + last);
    }
}

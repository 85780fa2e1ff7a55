package io.metalr.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Layer groups: the automatic grouping of each model and explicit pattern groups. */
class LayerGroupsTest {

    @Test
    void resnet18AutoGroupsAreStemEightBlocksHead() {
        LayerGroups g = LayerGroups.auto(Models.create("resnet18", 3, 1000));
        assertEquals(List.of("stem", "layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1",
                "layer4.0", "layer4.1", "head"), names(g));
        assertEquals(9, g.headIndex());
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias"), g.get(0).params());
        assertEquals(List.of("fc.weight", "fc.bias"), g.get(9).params());
        // a downsampling block keeps its shortcut
        assertTrue(g.get(3).params().contains("layer2.0.downsample.0.weight"));
        assertTrue(g.get(3).params().contains("layer2.0.downsample.1.bias"));
    }

    @Test
    void resnet50AutoGroupsAreStemSixteenBlocksHead() {
        LayerGroups g = LayerGroups.auto(Models.create("resnet50", 3, 1000));
        assertEquals(18, g.size());
        assertEquals("stem", g.get(0).name());
        assertEquals("layer1.0", g.get(1).name());
        assertEquals("layer4.2", g.get(16).name());
        assertEquals("head", g.get(17).name());
        // a bottleneck block: three convs and three batch norms (9 trainable tensors), plus a shortcut (3)
        assertEquals(12, g.get(1).params().size());
        assertEquals(9, g.get(2).params().size());
    }

    @Test
    void smallModelsAutoGroups() {
        assertEquals(List.of("stem", "layer1.0", "layer2.0", "layer3.0", "head"),
                names(LayerGroups.auto(Models.create("small_resnet", 1, 4))));
        LayerGroups ref = LayerGroups.auto(Models.create("reference_cnn", 1, 4));
        assertEquals(3, ref.size());
        assertEquals("stem", ref.get(0).name());
        assertEquals("head", ref.get(2).name());
        assertEquals(List.of("conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias"), ref.get(1).params());
        assertEquals(18, LayerGroups.auto(Models.create("resnet34", 3, 10)).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference_cnn", "small_resnet", "resnet18", "resnet34", "resnet50"})
    void everyTrainableParameterInExactlyOneGroup(String model) {
        Network net = Models.create(model, 3, 7);
        LayerGroups g = LayerGroups.auto(net);
        checkPartition(net, g);
    }

    private static void checkPartition(Network net, LayerGroups g) {
        List<String> grouped = new ArrayList<>();
        g.all().forEach(gr -> grouped.addAll(gr.params()));
        assertEquals(new HashSet<>(grouped).size(), grouped.size(), "a parameter is in two groups: " + grouped);
        List<String> trainable = net.params().stream().filter(ParamSpec::trainable).map(ParamSpec::name).toList();
        // same set, and in state-dict order within the concatenation of groups
        assertEquals(new HashSet<>(trainable), new HashSet<>(grouped));
        assertEquals(trainable, grouped, "groups must be in input-to-output order with params in state-dict order");
        long total = 0;
        for (int i = 0; i < g.size(); i++) {
            LayerGroups.Group gr = g.get(i);
            assertFalse(gr.params().isEmpty(), "empty group " + gr.name());
            long size = 0;
            for (String p : gr.params()) {
                assertEquals(i, g.groupOf(p));
                size += net.params().stream().filter(s -> s.name().equals(p)).findFirst().orElseThrow().size();
            }
            assertEquals(size, gr.size(), "size of group " + gr.name());
            total += size;
        }
        assertEquals(net.trainableCount(), total);
        for (ParamSpec s : net.params()) {
            if (!s.trainable()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.groupOf(s.name()));
                assertTrue(e.getMessage().contains(s.name()), e.getMessage());
            }
        }
        assertTrue(net.params().stream().anyMatch(s -> !s.trainable()), "the model has buffers to check");
    }

    @Test
    void explicitPatterns() {
        Network net = Models.create("small_resnet", 1, 3);
        LayerGroups g = LayerGroups.fromPatterns(net, List.of("^(conv1|bn1)\\.", "^layer[12]\\.", "^layer3\\.", "^fc\\."));
        assertEquals(4, g.size());
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias"), g.get(0).params());
        assertEquals(List.of("fc.weight", "fc.bias"), g.get(3).params());
        assertTrue(g.get(1).params().contains("layer2.0.downsample.0.weight"));
        assertEquals(3, g.headIndex());
        checkPartition(net, g);
        // find semantics: an unanchored pattern matches anywhere in the name
        LayerGroups two = LayerGroups.fromPatterns(net, List.of("^(?!fc)", "fc"));
        assertEquals(2, two.size());
        assertEquals(List.of("fc.weight", "fc.bias"), two.get(1).params());
    }

    @Test
    void parameterInTwoGroupsIsAnErrorNamingIt() {
        Network net = Models.create("small_resnet", 1, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerGroups.fromPatterns(net, List.of("^(conv1|bn1)\\.", "^layer", "^layer1\\.", "^fc\\.")));
        assertTrue(e.getMessage().contains("layer1.0.conv1.weight"), e.getMessage());
    }

    @Test
    void parameterInNoGroupIsAnErrorNamingIt() {
        Network net = Models.create("small_resnet", 1, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerGroups.fromPatterns(net, List.of("^(conv1|bn1)\\.", "^layer[12]\\.", "^fc\\.")));
        assertTrue(e.getMessage().contains("layer3.0.conv1.weight"), e.getMessage());
    }

    @Test
    void patternMatchingNothingIsAnError() {
        Network net = Models.create("small_resnet", 1, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerGroups.fromPatterns(net, List.of("^(conv1|bn1)\\.", "^layer", "^nothing_here", "^fc\\.")));
        assertTrue(e.getMessage().contains("^nothing_here"), e.getMessage());
        // a pattern that only matches buffers matches no trainable parameter either
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> LayerGroups.fromPatterns(net, List.of("running_", "^(conv1|bn1)\\.", "^layer", "^fc\\.")));
        assertTrue(e2.getMessage().contains("running_"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerGroups.fromPatterns(net, List.of()));
    }

    @Test
    void tableListsEveryGroupWithCountsSummingToTheTrainableCount() {
        Network net = Models.create("resnet18", 3, 10);
        LayerGroups g = LayerGroups.auto(net);
        double[] lr = new double[g.size()];
        boolean[] trainable = new boolean[g.size()];
        for (int i = 0; i < lr.length; i++) {
            lr[i] = 1e-3 * (i + 1);
            trainable[i] = i % 2 == 0;
        }
        String table = g.table(lr, trainable);
        List<String> lines = Arrays.stream(table.split("\\R")).filter(l -> !l.isBlank()).toList();
        assertEquals(g.size() + 2, lines.size(), table); // header, one line per group, total
        long sum = 0;
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < g.size(); i++) {
            String[] f = lines.get(i + 1).trim().split("\\s+");
            assertEquals(String.valueOf(i), f[0], lines.get(i + 1));
            assertEquals(g.get(i).name(), f[1]);
            assertEquals(g.get(i).size(), Long.parseLong(f[2]));
            assertEquals(lr[i], Double.parseDouble(f[3]), lr[i] * 1e-2);
            assertEquals(trainable[i] ? "yes" : "frozen", f[4]);
            sum += Long.parseLong(f[2]);
            seen.add(f[1]);
        }
        assertEquals(g.size(), seen.size());
        assertEquals(net.trainableCount(), sum);
        String[] total = lines.get(lines.size() - 1).trim().split("\\s+");
        assertEquals("total", total[0]);
        assertEquals(net.trainableCount(), Long.parseLong(total[1]));
    }

    private static List<String> names(LayerGroups g) {
        return g.all().stream().map(LayerGroups.Group::name).toList();
    }
}

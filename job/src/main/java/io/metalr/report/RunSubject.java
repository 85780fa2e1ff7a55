package io.metalr.report;

import io.metalr.data.DataSets;
import io.metalr.groups.LayerGroups;
import io.metalr.train.RunSetup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What was trained on what: the part a single run's and a cross-validation's reports share.
 *
 * @param data the data set's description
 */
public record RunSubject(String strategy, String model, String data, List<String> classes, List<LayerGroups.Group> groups,
        boolean[] trainable, double[] initialLr, long skippedRecords) {

    public static RunSubject of(RunSetup setup, DataSets.Loaded data, String description) {
        return new RunSubject(setup.plan().strategy(), setup.net().name(), description, data.classNames(),
                setup.groups().all(), setup.plan().trainable(), setup.plan().initialLr(), data.skipped());
    }

    public List<String> groupNames() {
        return groups.stream().map(LayerGroups.Group::name).toList();
    }

    /** The first keys of {@value RunDirectory#SUMMARY}: strategy, model, data, groups, classes. */
    Map<String, Object> summaryHead() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("strategy", strategy);
        s.put("model", model);
        s.put("data", data);
        s.put("groups", groupNames());
        s.put("classes", classes);
        return s;
    }
}

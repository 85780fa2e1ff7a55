package io.metalr.model;

import io.metalr.nn.Network;

import java.util.List;

/** The model registry: {@code model.name} in the config picks one of these. */
public final class Models {

    public static final List<String> NAMES =
            List.of("reference_cnn", "small_resnet", "resnet18", "resnet34", "resnet50");

    private Models() {}

    public static Network create(String name, int inChannels, int numClasses) {
        if (inChannels < 1 || numClasses < 2) {
            throw new IllegalArgumentException(
                    "model " + name + " needs at least 1 input channel and 2 classes, got "
                            + inChannels + " and " + numClasses);
        }
        return switch (name) {
            case "reference_cnn" -> new ReferenceCnn(inChannels, numClasses);
            case "small_resnet" -> ResNet.small(inChannels, numClasses);
            case "resnet18" -> ResNet.resnet18(inChannels, numClasses);
            case "resnet34" -> ResNet.resnet34(inChannels, numClasses);
            case "resnet50" -> ResNet.resnet50(inChannels, numClasses);
            default -> throw new IllegalArgumentException(
                    "unknown model.name '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}

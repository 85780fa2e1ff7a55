package io.metalr.nn;

import java.util.ArrayList;
import java.util.List;

/** What every architecture holds: its name, input channels, class count and tensor list. */
public abstract class BaseNetwork implements Network {

    private final String name;
    private final int inChannels;
    private final int numClasses;
    /** Filled by the subclass's constructor through the {@code Layers.declare*} helpers. */
    protected final List<ParamSpec> params = new ArrayList<>();

    protected BaseNetwork(String name, int inChannels, int numClasses) {
        this.name = name;
        this.inChannels = inChannels;
        this.numClasses = numClasses;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<ParamSpec> params() {
        return params;
    }

    @Override
    public int inChannels() {
        return inChannels;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }
}

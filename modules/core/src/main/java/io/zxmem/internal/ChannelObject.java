package io.zxmem.internal;

import io.zxmem.spi.ChannelTransport;

/**
 * One end of a channel: the transport endpoint behind every handle to it. Operations retain the
 * object while they run, so the endpoint's descriptor is closed only after the last handle is gone
 * and no read, write or wait is using it.
 */
public final class ChannelObject extends KernelObject {
    private final ChannelTransport.Endpoint endpoint;

    public ChannelObject(ChannelTransport.Endpoint endpoint) {
        super(0);
        this.endpoint = endpoint;
    }

    public ChannelTransport.Endpoint endpoint() {
        return endpoint;
    }

    @Override
    protected void destroy() {
        endpoint.close();
    }
}

/**
 * Channels between processes for zxmem: the {@link io.zxmem.spi.ChannelTransport} behind
 * {@code io.zxmem.Channel}. Messages travel as {@code SOCK_SEQPACKET} records over Unix domain
 * sockets, handles as descriptors passed with {@code SCM_RIGHTS}, and the rights of a VMO handle are
 * enforced by the receiving kernel through memfd seals. Nothing is exported: applications use
 * {@code io.zxmem.Channel}.
 */
module io.zxmem.share {
    requires io.zxmem;

    provides io.zxmem.spi.ChannelTransport with io.zxmem.share.UnixTransport;
}

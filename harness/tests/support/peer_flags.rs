//! The command-line flags `BASELINE.tsv` of the upstream packetdrill suite
//! was taken with (`peer-suites/packetdrill/RUNNING.md`), per family. Shared
//! by the peer-suite test and the run benchmark.

use netdrill::run::config::{OptionPair, split_packetdrill_args};
use netdrill::target::IpVersion;

/// RUNNING.md's flags for `v`, as option pairs.
pub fn peer_flags(v: IpVersion) -> Result<Vec<OptionPair>, String> {
    let text = match v {
        IpVersion::Ipv4 => {
            "--send_omit_free --ip_version=ipv4 --local_ip=192.168.0.1 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1 -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable -D CMSG_LEVEL_IP=SOL_IP -D CMSG_TYPE_RECVERR=IP_RECVERR"
        }
        IpVersion::Ipv4MappedIpv6 => {
            "--send_omit_free --ip_version=ipv4-mapped-ipv6 --local_ip=192.168.0.1 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1 -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable -D CMSG_LEVEL_IP=SOL_IPV6 -D CMSG_TYPE_RECVERR=IPV6_RECVERR"
        }
        IpVersion::Ipv6 => {
            "--send_omit_free --ip_version=ipv6 --mtu=1520 --local_ip=fd3d:0a0b:17d6::1 --gateway_ip=fd3d:0a0b:17d6:8888::1 --remote_ip=fd3d:fa7b:d17d::1 -D TFO_COOKIE=c1d1e9742a47a9bc -D CMSG_LEVEL_IP=SOL_IPV6 -D CMSG_TYPE_RECVERR=IPV6_RECVERR"
        }
    };
    let args: Vec<String> = text.split(' ').map(String::from).collect();
    split_packetdrill_args(&args)
        .map(|(opts, _)| opts)
        .map_err(|e| e.0)
}

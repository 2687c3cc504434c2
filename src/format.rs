//! `nwvol format`: plans partitions, mirror groups and volumes for a set of
//! devices and writes them.

use std::sync::Arc;

use crate::assembly::Assembly;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::layout::mirror::{MAX_MEMBERS, MemberRecord, MirrorExt, MirrorHeader};
use crate::layout::time::DosTime;
use crate::partition::create::{NewPartition, random_u32, write_partition};
use crate::partition::plan::PartitionGeometry;
use crate::partition::probe::probe;
use crate::volume::mkfs::{write_empty_volume, write_volume_tables};
use crate::volume::plan::{VolumePlan, VolumeRequest, plan_volumes};

/// What `format` is asked to do.
#[derive(Debug, Clone)]
pub struct FormatOptions {
    /// All devices form one mirror group (else one group each, spanned).
    pub mirror: bool,
    /// Block size for every volume; None picks by volume size.
    pub block_size: Option<u32>,
    /// Volumes to create; empty means one `SYS` over all space.
    pub volumes: Vec<VolumeRequest>,
    /// Hot-fix pool size in bytes; None is about 2% of each partition.
    pub hotfix: Option<u64>,
    /// Overwrite devices that hold something.
    pub force: bool,
    /// Volumes keep block checksums (FORMAT.md "Block checksums").
    pub checksums: bool,
}

/// What `format` planned (and wrote, unless it failed).
#[derive(Debug, Clone)]
pub struct FormatPlan {
    /// Per group, its members' geometry.
    pub groups: Vec<Vec<PartitionGeometry>>,
    /// Per group, the logical partition size in sectors.
    pub data_sectors: Vec<u32>,
    /// The volumes.
    pub volumes: Vec<VolumePlan>,
}

/// Plans the layout without writing anything.
pub fn plan(devices: &[Arc<dyn Device>], opts: &FormatOptions) -> Result<FormatPlan> {
    if devices.is_empty() {
        return Err(Error::Invalid("format needs at least one device".into()));
    }
    if opts.mirror && devices.len() > MAX_MEMBERS {
        return Err(Error::Invalid(format!(
            "a mirror group holds at most {MAX_MEMBERS} members; {} devices were given",
            devices.len()
        )));
    }
    let geometry = devices
        .iter()
        .map(|d| {
            PartitionGeometry::plan(d.bytes(), opts.hotfix)
                .map_err(|reason| Error::Invalid(format!("{}: {reason}", d.name())))
        })
        .collect::<Result<Vec<_>>>()?;
    let groups: Vec<Vec<PartitionGeometry>> = if opts.mirror {
        vec![geometry]
    } else {
        geometry.into_iter().map(|g| vec![g]).collect()
    };
    let data_sectors: Vec<u32> = groups
        .iter()
        .map(|g| g.iter().map(|m| m.data_sectors).min().unwrap_or(0))
        .collect();
    let requests = if opts.volumes.is_empty() {
        vec![VolumeRequest {
            name: "SYS".into(),
            size: None,
        }]
    } else {
        opts.volumes.clone()
    };
    let volumes = plan_volumes(&data_sectors, &requests, opts.block_size, opts.checksums)?;
    Ok(FormatPlan {
        groups,
        data_sectors,
        volumes,
    })
}

/// Refuses devices that hold something, unless forced.
pub fn check_devices(devices: &[Arc<dyn Device>], force: bool) -> Result<()> {
    for d in devices {
        if d.reads_zeros() {
            continue;
        }
        let found = probe(d.as_ref())?;
        if !found.is_empty() && !force {
            let what: Vec<String> = found.iter().map(|s| s.to_string()).collect();
            return Err(Error::WouldOverwrite {
                device: d.name().to_string(),
                found: what.join(", "),
            });
        }
    }
    Ok(())
}

/// Formats the devices and returns the plan it wrote.
pub fn format(devices: &[Arc<dyn Device>], opts: &FormatOptions) -> Result<FormatPlan> {
    let plan = plan(devices, opts)?;
    check_devices(devices, opts.force)?;
    let now = DosTime::now();
    let mut dev_iter = devices.iter();
    let mut written: Vec<Arc<dyn Device>> = Vec::new();
    for (g, members) in plan.groups.iter().enumerate() {
        let ids: Vec<u32> = members.iter().map(|_| random_u32()).collect();
        let ext = MirrorExt {
            group_id: random_u32(),
            events: 1,
            checkpoint_time: 0,
            rate_kib: 0,
            members: ids.iter().map(|&id| MemberRecord::in_sync(id)).collect(),
        };
        let mirror = MirrorHeader::new(now, ext);
        for (geometry, id) in members.iter().zip(&ids) {
            let dev = dev_iter
                .next()
                .ok_or_else(|| Error::Internal("device count changed".into()))?;
            write_partition(
                dev.as_ref(),
                &NewPartition {
                    geometry: *geometry,
                    partition_id: *id,
                    data_sectors: plan.data_sectors[g],
                    disk_signature: random_u32(),
                    created: now,
                    mirror: mirror.clone(),
                },
            )?;
            written.push(dev.clone());
        }
    }
    // Read the partitions back: what is written from here on goes through
    // the same assembly every later command uses.
    let system = Assembly::open_partitions_only(written)?;
    write_volume_tables(&system, &plan.volumes)?;
    for v in &plan.volumes {
        write_empty_volume(&system, v, now)?;
    }
    for g in &system {
        g.sync()?;
    }
    Ok(plan)
}

//! The `Municipality` aggregate: a tenant as the platform registered it, and its department
//! tree. Its stream id is the municipality's id (`DK-0706`). Its events map to and from the
//! contract's messages in [`MunicipalityEvent`]'s `DomainEvent`.

use std::collections::BTreeMap;

use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::{
    Aggregate, DecodeError, DepartmentId, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    Role,
};
use prost::Name as _;

use super::values::{Name, Profile, department_id, not_registered, parent_id, require_role};
use crate::DirectoryError;

/// What can be asked of a municipality.
#[derive(Debug, Clone)]
pub enum MunicipalityCommand {
    /// Register it (platform administrator). The profile is validated before the stream is
    /// chosen, since it names the stream.
    Register {
        /// Caller.
        by: Principal,
        /// Who it is.
        profile: Profile,
    },
    /// Add a department (municipality administrator).
    AddDepartment {
        /// Caller.
        by: Principal,
        /// Its id, name and parent, as requested.
        department: pb::DepartmentAdded,
    },
    /// Rename a department (municipality administrator); the same name changes nothing.
    RenameDepartment {
        /// Caller.
        by: Principal,
        /// The department and its new name, as requested.
        department: pb::DepartmentRenamed,
    },
    /// Retire a department without active children (municipality administrator).
    RetireDepartment {
        /// Caller.
        by: Principal,
        /// The department, as requested.
        department_id: String,
    },
}

/// What happened to a municipality.
#[derive(Debug, Clone, PartialEq)]
pub enum MunicipalityEvent {
    /// The platform registered it.
    MunicipalityRegistered {
        /// Who it is.
        profile: Profile,
    },
    /// A department was added.
    DepartmentAdded {
        /// Its id.
        id: DepartmentId,
        /// Its name.
        name: Name,
        /// The department it belongs under; none for a top-level department.
        parent: Option<DepartmentId>,
    },
    /// A department got a new name.
    DepartmentRenamed {
        /// The department.
        id: DepartmentId,
        /// Its new name.
        name: Name,
    },
    /// A department was retired.
    DepartmentRetired {
        /// The department.
        id: DepartmentId,
    },
}

impl DomainEvent for MunicipalityEvent {
    fn encode(&self) -> EncodedEvent {
        use MunicipalityEvent as E;
        match self {
            E::MunicipalityRegistered { profile } => {
                EncodedEvent::of(&pb::MunicipalityRegistered {
                    municipality: profile.id.to_string(),
                    profile: Some(profile.into()),
                })
            }
            E::DepartmentAdded { id, name, parent } => EncodedEvent::of(&pb::DepartmentAdded {
                department_id: id.to_string(),
                name: name.as_str().to_owned(),
                parent_id: parent.as_ref().map(ToString::to_string).unwrap_or_default(),
            }),
            E::DepartmentRenamed { id, name } => EncodedEvent::of(&pb::DepartmentRenamed {
                department_id: id.to_string(),
                name: name.as_str().to_owned(),
            }),
            E::DepartmentRetired { id } => EncodedEvent::of(&pb::DepartmentRetired {
                department_id: id.to_string(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use MunicipalityEvent as E;
        let name = |raw: &str| Name::parse(Name::LONG, "name", raw);
        let id = |raw: &str| department_id("department_id", raw);
        Ok(match event_type {
            pb::MunicipalityRegistered::NAME => {
                let m: pb::MunicipalityRegistered = message(payload)?;
                let profile: Profile = required(m.profile, "profile")?.try_into()?;
                if profile.id.as_str() != m.municipality {
                    return Err(DecodeError(format!(
                        "municipality {:?} is not the profile's {}",
                        m.municipality, profile.id
                    )));
                }
                E::MunicipalityRegistered { profile }
            }
            pb::DepartmentAdded::NAME => {
                let m: pb::DepartmentAdded = message(payload)?;
                E::DepartmentAdded {
                    id: id(&m.department_id)?,
                    name: name(&m.name)?,
                    parent: parent_id("parent_id", &m.parent_id)?,
                }
            }
            pb::DepartmentRenamed::NAME => {
                let m: pb::DepartmentRenamed = message(payload)?;
                E::DepartmentRenamed {
                    id: id(&m.department_id)?,
                    name: name(&m.name)?,
                }
            }
            pb::DepartmentRetired::NAME => {
                let m: pb::DepartmentRetired = message(payload)?;
                E::DepartmentRetired {
                    id: id(&m.department_id)?,
                }
            }
            other => return Err(DecodeError(format!("no municipality event {other}"))),
        })
    }
}

/// A department as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Its name.
    pub name: Name,
    /// The department it belongs under; none for a top-level department.
    pub parent: Option<DepartmentId>,
    /// Retired: kept in the records that name it, nothing new is filed under it.
    pub retired: bool,
}

/// A registered municipality as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityRecord {
    /// Who it is.
    pub profile: Profile,
    /// Every department it ever had, retired ones included (their ids are never reused).
    pub departments: BTreeMap<DepartmentId, Department>,
}

impl MunicipalityRecord {
    /// A department that exists and is not retired.
    fn active(
        &self,
        field: &'static str,
        id: &DepartmentId,
    ) -> Result<&Department, DirectoryError> {
        match self.departments.get(id) {
            None => Err(DirectoryError::invalid(
                field,
                format!("{} has no department {id}", self.profile.id),
            )),
            Some(d) if d.retired => Err(DirectoryError::invalid(
                field,
                format!("department {id} is retired"),
            )),
            Some(d) => Ok(d),
        }
    }

    /// The active departments directly under `id`.
    fn active_children<'a>(&'a self, id: &'a DepartmentId) -> impl Iterator<Item = &'a str> {
        self.departments
            .iter()
            .filter(move |(_, d)| !d.retired && d.parent.as_ref() == Some(id))
            .map(|(child, _)| child.as_str())
    }
}

/// The aggregate: `None` until registered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Municipality(pub Option<MunicipalityRecord>);

impl Municipality {
    /// Whether the platform registered it.
    pub fn is_registered(&self) -> bool {
        self.0.is_some()
    }

    /// The record, for an administrator of this very municipality.
    fn administered_by(&self, by: &Principal) -> Result<&MunicipalityRecord, DirectoryError> {
        require_role(by, &[Role::MunicipalityAdmin], "managing departments")?;
        let record = self
            .0
            .as_ref()
            .ok_or_else(|| not_registered(&by.municipality))?;
        if by.is_member_of(&record.profile.id) {
            Ok(record)
        } else {
            Err(DirectoryError::Forbidden(format!(
                "only {}'s administrators manage its departments",
                record.profile.id
            )))
        }
    }
}

impl Aggregate for Municipality {
    type Command = MunicipalityCommand;
    type Event = MunicipalityEvent;
    type Error = DirectoryError;
    const TYPE: &'static str = "municipality";

    fn decide(
        &self,
        command: MunicipalityCommand,
    ) -> Result<Vec<MunicipalityEvent>, DirectoryError> {
        use MunicipalityCommand as C;
        use MunicipalityEvent as E;
        match command {
            C::Register { by, profile } => {
                require_role(&by, &[Role::PlatformAdmin], "registering a municipality")?;
                if self.is_registered() {
                    return Err(DirectoryError::Rule(format!(
                        "municipality {} is already registered",
                        profile.id
                    )));
                }
                Ok(vec![E::MunicipalityRegistered { profile }])
            }
            C::AddDepartment { by, department } => {
                let record = self.administered_by(&by)?;
                let id = department_id("department.departmentId", &department.department_id)?;
                let name = Name::parse(Name::LONG, "department.name", &department.name)?;
                let parent = parent_id("department.parentId", &department.parent_id)?;
                if let Some(existing) = record.departments.get(&id) {
                    return Err(DirectoryError::Rule(if existing.retired {
                        format!("department {id} was retired; a department id is never reused")
                    } else {
                        format!("department {id} already exists")
                    }));
                }
                if let Some(parent) = &parent {
                    record.active("department.parentId", parent)?;
                }
                Ok(vec![E::DepartmentAdded { id, name, parent }])
            }
            C::RenameDepartment { by, department } => {
                let record = self.administered_by(&by)?;
                let id = department_id("department.departmentId", &department.department_id)?;
                let name = Name::parse(Name::LONG, "department.name", &department.name)?;
                let current = record.active("department.departmentId", &id)?;
                Ok(if current.name == name {
                    vec![]
                } else {
                    vec![E::DepartmentRenamed { id, name }]
                })
            }
            C::RetireDepartment {
                by,
                department_id: raw,
            } => {
                let record = self.administered_by(&by)?;
                let id = department_id("departmentId", &raw)?;
                record.active("departmentId", &id)?;
                let children: Vec<&str> = record.active_children(&id).collect();
                if !children.is_empty() {
                    return Err(DirectoryError::Rule(format!(
                        "department {id} has active departments under it ({}); retire them first",
                        children.join(", ")
                    )));
                }
                Ok(vec![E::DepartmentRetired { id }])
            }
        }
    }

    fn evolve(self, event: &MunicipalityEvent) -> Self {
        use MunicipalityEvent as E;
        if let E::MunicipalityRegistered { profile } = event {
            return Municipality(Some(MunicipalityRecord {
                profile: profile.clone(),
                departments: BTreeMap::new(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::MunicipalityRegistered { .. } => {}
            E::DepartmentAdded { id, name, parent } => {
                r.departments.insert(
                    id.clone(),
                    Department {
                        name: name.clone(),
                        parent: parent.clone(),
                        retired: false,
                    },
                );
            }
            E::DepartmentRenamed { id, name } => {
                if let Some(d) = r.departments.get_mut(id) {
                    d.name = name.clone();
                }
            }
            E::DepartmentRetired { id } => {
                if let Some(d) = r.departments.get_mut(id) {
                    d.retired = true;
                }
            }
        }
        Municipality(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.profile.id)
    }
}

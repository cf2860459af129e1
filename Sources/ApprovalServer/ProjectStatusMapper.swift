import ApprovalAPI
import ApprovalCore
import ApprovalStore
import Foundation

/// Turns the engine's view of a project into the API's `ProjectStatus`.
enum ProjectStatusMapper {
    /// The agency service's part of the status: the latest agreement and the agent's last update.
    struct Agency {
        let agreement: AgencyAgreement?
        let lastProgress: ProgressUpdate?
        let today: CivilDate
    }

    static func status(_ record: ProjectRecord, _ project: Project, _ view: ProjectView, expected: ExpectedForecast, agent: User?,
                       documents: [String: FormalDocument], attachments: [String: [String: AttachedMaterial]] = [:],
                       agency: Agency) -> Components.Schemas.ProjectStatus {
        let workflow = project.workflow
        return .init(
            code: record.code,
            codeIssuedLocally: record.codeIssuedLocally,
            name: record.name,
            investorOrganisation: record.investorOrganisation,
            region: record.region,
            workflow: .init(id: workflow.id, version: workflow.version),
            startedOn: record.startedOn.description,
            asOf: view.asOf.description,
            state: view.currentStageID == nil ? .completed : .inProgress,
            currentStage: view.currentStageID,
            version: record.version,
            clock: .init(usedDays: view.usedDays, totalLimit: view.totalLimit, remainingDays: max(0, view.totalLimit - view.usedDays),
                         warning: warning(view.warning)),
            forecast: .init(totalDays: view.forecast.totalDays, completionDate: view.forecast.completionDate?.value.description,
                            criticalPath: view.forecast.criticalPath, provisional: view.isProvisional),
            expectedForecast: .init(totalDays: expected.totalDays, totalDaysP90: expected.totalDaysP90,
                                    completionDate: expected.completionDate?.value.description,
                                    completionDateP90: expected.completionDateP90?.value.description, criticalPath: expected.criticalPath,
                                    passesTotalLimit: expected.passesTotalLimit, itemsAtLegalLimit: expected.itemsAtLegalLimit),
            stages: view.stages.map { stage in
                .init(id: stage.id, name: stage.name, leadDepartment: stage.leadDepartment, limit: stage.limit,
                      usedDays: stage.usedDays, status: .init(rawValue: stage.status.rawValue)!)
            },
            items: zip(view.items, project.items).map { item(view: $0, $1, document: documents[$1.id], attached: attachments[$1.id] ?? [:]) },
            agent: agent.map { .init(id: $0.id, name: $0.name, phone: $0.phone, level: agentLevel($0.agentLevel ?? .county)) },
            agency: .init(agreement: agency.agreement.map { agreement($0, today: agency.today) },
                          lastProgress: agency.lastProgress.map(progress), nextStepOn: agency.lastProgress?.nextStepOn?.description,
                          followUpOverdue: agency.lastProgress?.followUpIsOverdue(asOf: agency.today) ?? false),
            nextSteps: nextSteps(project, asOf: view.asOf)
        )
    }

    static func warning(_ level: WarningLevel) -> Components.Schemas.WarningLevel { .init(rawValue: level.rawValue)! }

    static func agentLevel(_ level: AgentLevel) -> Components.Schemas.AgentLevel { .init(rawValue: level.rawValue)! }

    static func agreement(_ agreement: AgencyAgreement, today: CivilDate) -> Components.Schemas.AgencyAgreement {
        .init(id: agreement.id, state: .init(rawValue: agreement.state.rawValue)!, scope: agreement.scope,
              startsOn: agreement.startsOn.description, validUntil: agreement.validUntil?.description, renewals: agreement.renewals,
              endedOn: agreement.endedOn?.description, reason: agreement.endReason, inForce: agreement.isInForce(on: today),
              onPaper: agreement.onPaper)
    }

    static func progress(_ update: ProgressUpdate) -> Components.Schemas.ProgressUpdate {
        .init(id: update.id, kind: .init(rawValue: update.kind.rawValue)!, text: update.text, item: update.itemID,
              nextStepOn: update.nextStepOn?.description, on: update.on.description, author: update.authorName)
    }

    static func item(view: ProjectView.Item, _ item: ProjectItem, document: FormalDocument?,
                     attached: [String: AttachedMaterial] = [:]) -> Components.Schemas.ItemStatus {
        let openStop = item.state == .suspended ? item.stops.last : nil
        var missing: [String]?, requested: [Components.Schemas.ItemStatus.SuspensionPayload.RequirementsPayloadPayload]?
        if case let .supplement(materials, requirements)? = openStop?.reason {
            missing = materials
            requested = requirements.isEmpty ? nil : requirements.map { request in
                let digest = attached[request.requirement]?.sha256
                return .init(requirement: request.requirement, answered: digest != nil && digest != request.deficient)
            }
        }
        return .init(
            id: view.id, name: view.name, department: view.department, stage: view.stageID,
            state: .init(rawValue: view.state.rawValue)!,
            stateSince: item.reachedBy?.on.description,
            limit: view.limit, usedDays: view.usedDays, remainingDays: view.remainingDays,
            deadline: view.deadline?.value.description,
            deadlineProvisional: view.deadline.map(\.isProvisional),
            warning: warning(view.warning), overdue: view.isOverdue,
            suspension: openStop.map { .init(reason: $0.reason.code, since: $0.stoppedOn.description, requirements: requested, missingMaterials: missing) },
            commitment: item.commitment.map {
                .init(requirements: $0.requirements.isEmpty ? nil : $0.requirements, missingMaterials: $0.missingMaterials, dueDate: $0.dueDate.description, fulfilledOn: $0.fulfilledOn?.description,
                      broken: view.commitmentBroken)
            },
            defaultApprovalReason: view.defaultApprovalReason.map { .init(rawValue: $0.rawValue)! },
            exemptionSource: view.exemptionSource,
            rejectionReason: item.rejectionReason,
            repeatSupplementRequests: view.repeatSupplementRequests,
            _extension: item.timeExtension.map {
                .init(days: $0.days, reason: $0.reason, requestedOn: $0.requestedOn.description, decidedOn: $0.decidedOn?.description,
                      granted: $0.granted)
            },
            formalDocument: document.map {
                .init(dueOn: $0.dueOn.description, issuedOn: $0.issuedOn?.description, documentNumber: $0.documentNumber,
                      overdueOn: $0.overdueOn?.description)
            },
            materials: item.definition.requirements.map { requirement($0, attached: attached[$0.id], library: nil) }
        )
    }

    /// One material the item's application requires, with the library material it carries for it, if any, and
    /// (for the applicant only: `library` is nil in the status everyone who may see the project reads) the
    /// investor's library materials of its kind (upload once, reuse everywhere).
    static func requirement(_ requirement: MaterialRequirement, attached: AttachedMaterial?, library: [String: [Int64]]?) -> Components.Schemas.ItemMaterial {
        .init(requirement: requirement.id, name: requirement.name, core: requirement.core, kind: requirement.kind,
              offered: attached == nil ? requirement.kind.flatMap { library?[$0].map { Array($0.prefix(20)) } } : nil,
              attached: attached.map {
                  .init(issued: $0.issued, material: $0.material, version: $0.version, name: $0.name, fileName: $0.fileName, sha256: $0.sha256,
                        size: Int64($0.size), attachedOn: $0.attachedOn.description)
              })
    }

    /// What the investor must do next: apply for ready items, answer supplement requests, keep commitments.
    static func nextSteps(_ project: Project, asOf today: CivilDate) -> [Components.Schemas.ProjectStatus.NextStepsPayloadPayload] {
        var steps: [Components.Schemas.ProjectStatus.NextStepsPayloadPayload] = []
        for item in project.items {
            switch item.state {
            case .ready:
                steps.append(.init(item: item.id, action: .submit, detail: "submit the application for \(item.definition.name) to \(item.definition.department)"))
            case .suspended:
                if case let .supplement(missing, requested)? = item.stops.last?.reason {
                    let names = requested.map { request in item.definition.requirements.first { $0.id == request.requirement }?.name ?? request.requirement }
                    steps.append(.init(item: item.id, action: .resubmit,
                                       detail: "supply the missing materials for \(item.definition.name) and resubmit: \((names + missing).joined(separator: "; "))"))
                }
            default:
                break
            }
            if let commitment = item.commitment, commitment.fulfilledOn == nil, item.state != .withdrawn, item.state != .rejected {
                steps.append(.init(item: item.id, action: .supplyCommittedMaterials,
                                   detail: "supply the materials promised when \(item.definition.name) was accepted: \(commitment.missingMaterials.joined(separator: "; "))"
                                       + (commitment.isBroken(asOf: today) ? " (the promised date has passed)" : ""),
                                   dueDate: commitment.dueDate.description))
            }
        }
        return steps
    }
}

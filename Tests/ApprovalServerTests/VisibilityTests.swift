import Foundation
import Testing

/// Who sees which project is one rule (`Access.canSee`) with an SQL form for lists (`ProjectScope`). This checks
/// them against each other for every role: the projects a caller's list shows are exactly those whose status
/// the caller may read.
@Suite("Visibility: the list's SQL scope and the status read agree for every role", .timeLimit(.minutes(5)))
struct VisibilityTests {
    @Test func everyRoleListsExactlyTheProjectsItMayRead() async throws {
        try await TestServer.run { server in
            var codes = [try await server.createEnterpriseProject(name: "甲公司项目")]
            let withAgent = try await server.createEnterpriseProject(name: "有代办员的项目")
            let assigned = try await server.call(.put, "/v1/projects/\(withAgent)/agent", as: .coordinator,
                                                 json: #"{"agentId": \#(server.userIDs[.agent]!)}"#)
            #expect(assigned.status == 200, "\(assigned.text)")
            codes.append(withAgent)
            // Another organisation, another region, and a workflow without the development and ecology departments.
            let others = [
                ("ORG-B", "330302", "enterprise-investment", """
                 {"approval-mode": "filing", "in-regional-assessment-zone": false, "land-supply": "transfer", "annual-energy-tce": 1500,
                  "land-area-sqm": 32000, "eia-category": "report-book", "special-construction-project": true, "builds-civil-air-defence": true}
                 """),
                ("ORG-A", "330106", "enterprise-investment", """
                 {"approval-mode": "filing", "in-regional-assessment-zone": true, "land-supply": "transfer", "annual-energy-tce": 100,
                  "land-area-sqm": 5000, "eia-category": "registration", "special-construction-project": false, "builds-civil-air-defence": false}
                 """),
                ("ORG-A", "330302", "low-risk", #"{"building-area-sqm": 1, "needs-water-connection": false}"#),
            ]
            for (organisation, region, workflow, attributes) in others {
                let created = try await server.call(.post, "/v1/projects", as: .admin, json: """
                    {"workflow": "\(workflow)", "name": "\(organisation) \(region)", "region": "\(region)",
                     "investorOrganisation": "\(organisation)", "attributes": \(attributes)}
                    """)
                #expect(created.status == 201, "\(created.text)")
                codes.append(try #require(created.string("code")))
            }

            var seenBySome = Set<String>(), hiddenFromSome = Set<String>()
            for user in TestUser.allCases {
                let listed = Set(try await server.call(.get, "/v1/projects?limit=200", as: user).list("projects").compactMap { $0["code"] as? String })
                var readable = Set<String>()
                for code in codes {
                    let status = try await server.call(.get, "/v1/projects/\(code)", as: user).status
                    #expect(status == 200 || status == 404, "\(user) reading \(code): \(status)")
                    if status == 200 { readable.insert(code) } else { hiddenFromSome.insert(code) }
                }
                #expect(listed == readable, "\(user): listed \(listed.sorted()), readable \(readable.sorted())")
                seenBySome.formUnion(readable)
            }
            // Not vacuous: every project is seen by someone and hidden from someone.
            #expect(seenBySome == Set(codes))
            #expect(hiddenFromSome == Set(codes))
        }
    }
}

-- Joint review meetings (联审联办会, 联合验收, 联合踏勘) a coordinator schedules for a project stage. Closing one
-- records the minutes: who attended, who had approved leave, who was absent (缺席默认), and the decision dates the
-- attending departments promised.
CREATE TABLE meetings (
    id           bigserial PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects,
    kind         text   NOT NULL CHECK (kind IN ('joint_review', 'joint_acceptance', 'joint_site_inspection')),
    stage_id     text   NOT NULL,
    scheduled_on date   NOT NULL,
    closed_on    date,
    created_by   bigint NOT NULL REFERENCES users
);
CREATE INDEX meetings_project ON meetings (project_id);

CREATE TABLE meeting_invitations (
    meeting_id bigint NOT NULL REFERENCES meetings,
    department text   NOT NULL,
    items      text[] NOT NULL,
    -- Set when the meeting closes: attended, leave or absent.
    attendance text CHECK (attendance IN ('attended', 'leave', 'absent')),
    PRIMARY KEY (meeting_id, department)
);

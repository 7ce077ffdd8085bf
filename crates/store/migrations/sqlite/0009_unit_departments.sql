-- Departments to bring in: a linked unit may bring only some of its organization's departments
-- into the network. `units.brings` says which: the whole organization, or the departments in
-- `unit_departments`. A unit that brings departments and has none left (they were deleted)
-- brings nobody, never the whole organization.
ALTER TABLE units ADD COLUMN brings TEXT NOT NULL DEFAULT 'organization'
    CHECK (brings IN ('organization', 'departments'));

-- The chosen departments (`top` = 1) and every department below them (`top` = 0). The rows
-- below are derived: written again whenever the choice or the organization's tree changes, so
-- readers test "is this member brought in" with two index probes, never a walk of the tree.
CREATE TABLE unit_departments (
    unit_id TEXT NOT NULL REFERENCES units (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    top BIGINT NOT NULL CHECK (top IN (0, 1)),
    PRIMARY KEY (unit_id, department_id)
);
CREATE INDEX unit_departments_department ON unit_departments (department_id);

-- The names an invitation proposes (a JSON array); the accepting admin picks the departments.
ALTER TABLE invitations ADD COLUMN departments TEXT NOT NULL DEFAULT '[]';

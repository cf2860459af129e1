-- Notification recipients (NotificationOutbox) are found by organisation, by agent id and among the region's
-- staff; these make each an index lookup. Without them every event scanned all users, which at province scale
-- (hundreds of thousands of investors) cost ~80 ms per event and dominated the sweeper.
CREATE INDEX users_organisation ON users (organisation) WHERE role = 'investor';
CREATE INDEX users_staff ON users (role) WHERE role IN ('reviewer', 'leader', 'coordinator');

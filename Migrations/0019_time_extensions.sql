-- 延期 (行政许可法 §42: 经本行政机关负责人批准): the head of a department, a reviewer marked so, decides the
-- extension of an item's limit that a reviewer of the department asks for.
ALTER TABLE users
    ADD COLUMN department_head boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT users_department_head_reviews CHECK (NOT department_head OR role = 'reviewer');

// The same command as ../ours/00005-users-rename-name.json, through the driver.
module.exports = {
  async up(db) { await db.collection("users").updateMany({ name: { $exists: true } }, { $rename: { name: "fullName" } }); },
  async down(db) { await db.collection("users").updateMany({ fullName: { $exists: true } }, { $rename: { fullName: "name" } }); },
};
